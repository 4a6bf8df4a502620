# shellcheck shell=bash
# Shared shell functions for the Makefile (through .ci/tasks.sh) and .ci/run.
# Source it; it only defines variables and functions. Every fact about this
# machine that a function works around is explained in shared/TOOLING.md.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$REPO/.cache"                       # everything generated lives here (git-ignored)
LOG_DIR="${LOG_DIR:-$CACHE/logs}"          # one log file per step
NAMESPACE="$(sed -n 's/^namespace: *//p' "$REPO/galaxy.yml")"
NAME="$(sed -n 's/^name: *//p' "$REPO/galaxy.yml")"

export PIP_DISABLE_PIP_VERSION_CHECK=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 NO_COLOR=1 PY_COLORS=0

say() { printf '%s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# --- interpreters -----------------------------------------------------------

pyenv_root() { printf '%s\n' "${PYENV_ROOT:-$(pyenv root 2>/dev/null)}"; }

# find_python 3.12 -> path of a real python3.12. pyenv's shims for versions
# that are not global exit 127, so prefer the interpreter under pyenv's
# versions/ and fall back to whatever python3.12 on PATH really runs.
find_python() {
  local want=$1 root candidate
  root=$(pyenv_root)
  if [ -n "$root" ]; then
    candidate=$(printf '%s\n' "$root"/versions/"$want"*/bin/python"$want" | sort -V | tail -n 1)
    [ -x "$candidate" ] || candidate=
    [ -n "$candidate" ] && { printf '%s\n' "$candidate"; return; }
  fi
  candidate=$(command -v "python$want" 2>/dev/null) &&
    "$candidate" -c 'import sys' 2>/dev/null && { printf '%s\n' "$candidate"; return; }
  die "no working python$want found (looked in pyenv's versions/ and on PATH)"
}

# A folder of pythonX.Y symlinks to the real interpreters, to put first on
# PATH for ansible-test, which probes python3.X for its target Pythons.
python_links() {
  local dir="$CACHE/pybin" root p
  root=$(pyenv_root)
  mkdir -p "$dir"
  if [ -n "$root" ]; then
    for p in "$root"/versions/*/bin/python[23].[0-9] "$root"/versions/*/bin/python3.[0-9][0-9]; do
      [ -x "$p" ] && ln -sfn "$p" "$dir/$(basename "$p")"
    done
  fi
  printf '%s\n' "$dir"
}

# --- virtual environments ---------------------------------------------------

# requirements_digest FILE: hash of FILE and the files it includes with -r/-c.
requirements_digest() {
  local file=$1 dir included
  dir=$(dirname "$file")
  {
    cat "$file"
    sed -n 's/^ *-[rc] *//p' "$file" | while read -r included; do cat "$dir/$included"; done
  } | sha256sum | cut -d' ' -f1
}

# ensure_venv DIR PYTHON REQUIREMENTS: create DIR with PYTHON and install the
# pinned REQUIREMENTS, unless the stamp says that exact set is already there.
ensure_venv() {
  local dir=$1 python=$2 requirements=$3 stamp
  stamp="$("$python" -c 'import sys; print(sys.version)' | head -n 1) $(requirements_digest "$requirements")"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.ci-stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  say "==> creating ${dir#"$REPO"/} ($python, ${requirements#"$REPO"/})"
  rm -rf "$dir"
  "$python" -m venv "$dir" || return
  "$dir/bin/python" -m pip install --quiet --upgrade pip || return
  "$dir/bin/python" -m pip install --quiet -r "$requirements" || { rm -rf "$dir"; return 1; }
  printf '%s\n' "$stamp" >"$dir/.ci-stamp"
}

DEV_VENV="$REPO/.venv"
dev_venv() { ensure_venv "$DEV_VENV" "$(find_python 3.12)" "$REPO/requirements-dev.txt"; }

# core_venv CORE PY -> .venvs/core-CORE with the pinned ansible-core of that line.
core_venv() {
  local core=$1 py=$2 requirements="$REPO/.ci/requirements/core-$1.txt"
  [ -f "$requirements" ] || die "no pin for ansible-core $core (add .ci/requirements/core-$core.txt)"
  ensure_venv "$REPO/.venvs/core-$core" "$(find_python "$py")" "$requirements"
}

# --- the collection as Ansible sees it --------------------------------------

# ansible-playbook, ansible-doc, ansible-lint and molecule accept a symlink:
# .cache/collections/ansible_collections/<ns>/<name> -> the repo root.
export_collections_path() {
  local link="$CACHE/collections/ansible_collections/$NAMESPACE/$NAME"
  mkdir -p "$(dirname "$link")"
  ln -sfn "$REPO" "$link"
  export ANSIBLE_COLLECTIONS_PATH="$CACHE/collections"
}

# ansible-test needs the physical cwd to be .../ansible_collections/<ns>/<name>.
# sync_physical_copy DEST: copy the files git would list (tracked, and untracked
# but not ignored) and .git itself, so that ansible-test sees the same files.
sync_physical_copy() {
  local dest=$1
  rm -rf "$dest"
  mkdir -p "$dest"
  (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
    tar --null --files-from=- --ignore-failed-read --create --file=- 2>/dev/null) |
    tar --extract --file=- --directory="$dest" || return
  cp -a "$REPO/.git" "$dest/.git"
}

# ansible-test bootstraps pip in its venvs with a get-pip script it downloads
# from a host CI cannot reach; it uses a cached copy when one exists. The pip
# wheel saved beside it saves each new venv an ensurepip run.
install_get_pip() {
  local venv=$1 version cache="$HOME/.ansible/test/cache"
  version=$(sed -n "s/^ *pip='\([0-9.]*\)',*$/\1/p" \
    "$venv"/lib/python*/site-packages/ansible_test/_internal/python_requirements.py | head -n 1)
  [ -n "$version" ] || die "cannot read the pip version ansible-test wants from $venv"
  mkdir -p "$cache"
  cp "$REPO/.ci/get_pip.py" "$cache/get_pip_${version//./_}.py"
  [ -f "$cache/pip-$version-py3-none-any.whl" ] ||
    "$venv/bin/python" -m pip download --quiet --no-deps --only-binary :all: --dest "$cache" "pip==$version" ||
    say "warning: could not save the pip $version wheel; ansible-test's venvs fall back to ensurepip"
}

# ansible-test's sanity test of shell scripts needs the shellcheck program;
# without it that test is skipped with a warning. CI (root, Debian) installs it; a developer's
# machine is left alone.
ensure_shellcheck() {
  command -v shellcheck >/dev/null && return 0
  if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "==> installing shellcheck (apt-get)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; } >/dev/null 2>&1 ||
      say "warning: could not install shellcheck; ansible-test will skip that sanity test"
  else
    say "note: shellcheck not installed; ansible-test skips that sanity test (CI installs it)"
  fi
}

# --- steps and their summary ------------------------------------------------

# run_step NAME COMMAND...: run COMMAND (with a time limit) with its output in
# $LOG_DIR/NAME.log, print one line with the result, the wall time and the CPU
# time (user + system, children included: on a shared machine the CPU time is
# the steadier figure), and append "ok|FAILED NAME SECONDS CPU" to $RESULTS.
# One line, so that two lanes of steps can share the terminal; `summary` shows
# the logs of the failed steps.
STEP_TIMEOUT="${STEP_TIMEOUT:-1800}"
run_step() {
  local name=$1 start=$SECONDS rc status cpu TIMEFORMAT='%U %S'
  shift
  mkdir -p "$LOG_DIR"
  { time timeout --kill-after=30 "$STEP_TIMEOUT" "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null; } 2>"$LOG_DIR/$name.time"
  rc=$?
  [ "$rc" = 124 ] && echo "step timed out after ${STEP_TIMEOUT}s (STEP_TIMEOUT)" >>"$LOG_DIR/$name.log"
  cpu=$(awk '{ printf "%d", $1 + $2 }' "$LOG_DIR/$name.time")
  if [ "$rc" = 0 ]; then status=ok; else status=FAILED; fi
  printf '%-7s %-20s %5ss  cpu %5ss%s\n' "$status" "$name" "$((SECONDS - start))" "$cpu" \
    "$([ "$rc" = 0 ] || echo "  (exit code $rc)")"
  printf '%s %s %s %s\n' "$status" "$name" "$((SECONDS - start))" "$cpu" >>"${RESULTS:?set RESULTS to the results file}"
  return "$rc"
}

# run_lanes "COMMAND ARGS"...: each command is a lane (steps in order); with
# JOBS > 1 the lanes run at the same time (the callers make sure they write to
# different places), else one after another.
run_lanes() {
  local lane
  for lane in "$@"; do
    # shellcheck disable=SC2086 # a lane is a function name and its words
    if [ "${JOBS:-1}" -gt 1 ]; then $lane & else $lane; fi
  done
  wait
}

# results_file NAME: where `make NAME` (test, test-matrix) records its steps.
results_file() { printf '%s/%s.results\n' "$LOG_DIR" "$1"; }

# Progress lines of pip and ansible-test, left out of the failure excerpts.
LOG_NOISE='^ *(Collecting|Downloading|Using cached|Installing collected|Successfully installed|Requirement already|━|Running sanity test|Installing requirements for)|is ignored: it is neither a file nor a directory'

# summary LABEL RESULTS...: print "LABEL: N passed, M failed"; fail if M > 0.
# With SHOW_LOGS=1, first the tail of each failed step's log.
summary() {
  local label=$1 results failed_steps name
  shift
  results=$(cat "$@" 2>/dev/null)
  failed_steps=$(sed -n 's/^FAILED \([^ ]*\) .*/\1/p' <<<"$results")
  if [ "${SHOW_LOGS:-0}" = 1 ]; then
    while read -r name; do
      [ -n "$name" ] || continue
      echo "---- $name: last lines of $LOG_DIR/$name.log (progress lines left out)"
      grep -v -E "$LOG_NOISE" "$LOG_DIR/$name.log" | tail -n 40 | sed 's/^/    | /'
    done <<<"$failed_steps"
  fi
  [ -z "$failed_steps" ] || echo "failed steps: $(tr '\n' ' ' <<<"$failed_steps")"
  echo "$label: $(grep -c '^ok ' <<<"$results") passed, $(grep -c '^FAILED ' <<<"$results") failed"
  [ -z "$failed_steps" ]
}
