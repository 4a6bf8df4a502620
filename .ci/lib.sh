# shellcheck shell=bash
# Shared shell functions for the Makefile (through .ci/tasks.sh) and .ci/run.
# Source it; it only defines variables and functions. Each function says which
# trap of a bare machine or of the tools it works around.

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

# The controller Pythons the collection supports, in the order make picks one
# when PY is not given: 3.12 (the line CI tests most), 3.13, then 3.11, which
# runs ansible-core up to 2.19 only (2.20 and later need 3.12+).
PYTHON_PREFERENCE="3.12 3.13 3.11"

# python_works PATH X.Y: PATH runs, is Python X.Y, and can make a venv with pip
# (Debian's python3 needs the python3-venv package for that).
python_works() {
  [ -n "$1" ] && [ -x "$1" ] &&
    [ "$("$1" -c 'import ensurepip, venv, sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$2" ]
}

# find_python 3.12 -> path of a working python3.12, or status 1 and no output.
# pyenv's shims for versions that are not global exit 127, so look under
# pyenv's versions/ first, then at python3.12 and python3 on PATH.
find_python() {
  local want=$1 root candidate
  root=$(pyenv_root)
  if [ -n "$root" ]; then
    candidate=$(printf '%s\n' "$root"/versions/"$want".*/bin/python"$want" | sort -V | tail -n 1)
    python_works "$candidate" "$want" && { printf '%s\n' "$candidate"; return 0; }
  fi
  for candidate in "python$want" python3; do
    candidate=$(command -v "$candidate" 2>/dev/null) || continue
    python_works "$candidate" "$want" && { printf '%s\n' "$candidate"; return 0; }
  done
  return 1
}

# core_for_python X.Y -> the newest ansible-core line (pinned in
# .ci/requirements/core-<line>.txt) that runs on that Python.
core_for_python() {
  case $1 in
    3.11) echo 2.19 ;;
    *) echo 2.21 ;;
  esac
}

# check_core_python CORE PY: fail early on a pair pip would refuse.
check_core_python() {
  case "$1:$2" in
    2.2[0-9]:3.11 | 2.2[0-9]:3.10) die "ansible-core $1 needs Python 3.12 or later, not $2 (pick PY=3.12, or CORE=2.19)" ;;
  esac
}

# select_pythons: set DEV_PY / DEV_PYTHON (version, path) to the first Python
# of PYTHON_PREFERENCE this machine has, DEV_CORE to its ansible-core line, and
# CORE / PY (ansible-test's line and controller Python) to those unless given.
# Call it in the main shell, not in $(...): it exits when nothing is found.
select_pythons() {
  local version
  DEV_PY='' DEV_PYTHON=''
  for version in $PYTHON_PREFERENCE; do
    DEV_PYTHON=$(find_python "$version") && { DEV_PY=$version; break; }
  done
  [ -n "$DEV_PY" ] || die "no supported Python found: make needs python3.11, 3.12 or 3.13 with its venv module (looked in pyenv's versions/ and on PATH; on Debian or Ubuntu: apt-get install python3-venv)"
  DEV_CORE=$(core_for_python "$DEV_PY")
  PY=${PY:-$DEV_PY}
  CORE=${CORE:-$(core_for_python "$PY")}
  check_core_python "$CORE" "$PY"
  export DEV_PY DEV_PYTHON DEV_CORE PY CORE
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

# requirements_digest FILE...: hash of the FILEs and the files they include with -r/-c.
requirements_digest() {
  local file dir included
  for file in "$@"; do
    dir=$(dirname "$file")
    cat "$file"
    sed -n 's/^ *-[rc] *//p' "$file" | while read -r included; do cat "$dir/$included"; done
  done | sha256sum | cut -d' ' -f1
}

# ensure_venv DIR PYTHON REQUIREMENTS...: create DIR with PYTHON and install the
# pinned REQUIREMENTS, unless its stamp says that exact set is already there.
# It only ever removes a DIR it made itself (one with a .ci-stamp file): any
# other folder at that place is left alone, and the task fails saying so.
ensure_venv() {
  local dir=$1 python=$2 stamp pip_args=() file
  shift 2
  stamp="$("$python" -c 'import sys; print(sys.version.split()[0])') $(requirements_digest "$@")"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.ci-stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  if [ -e "$dir" ] || [ -L "$dir" ]; then
    [ -f "$dir/.ci-stamp" ] || die "${dir#"$REPO"/} exists but make did not create it (it has no .ci-stamp): left alone; move it away and run make again"
    say "==> re-creating ${dir#"$REPO"/}: its Python or requirements changed"
    rm -rf "$dir"
  fi
  for file in "$@"; do pip_args+=(-r "$file"); done
  say "==> creating ${dir#"$REPO"/} with Python $("$python" -c 'import sys; print(sys.version.split()[0])') ($python):"
  say "    $(sed -e 's/#.*//' -e '/^ *-[rc] /d' -e '/^ *$/d' "$@" | tr -s ' \n' ' ')"
  "$python" -m venv "$dir" || { rm -rf "$dir"; return 1; }
  echo incomplete >"$dir/.ci-stamp"   # ours from now on; a later run re-creates it
  # pip's output goes to a log, shown when it fails: a machine's pip configuration can make pip
  # warn about every package (an extra index that is not there), which is not this task's news.
  if ! "$dir/bin/python" -m pip install "${pip_args[@]}" >"$dir/pip-install.log" 2>&1; then
    grep -v -E "$LOG_NOISE" "$dir/pip-install.log" | tail -n 30 >&2
    say "error: pip could not install the requirements (log: ${dir#"$REPO"/}/pip-install.log)"
    return 1
  fi
  printf '%s\n' "$stamp" >"$dir/.ci-stamp"
}

DEV_VENV="$REPO/.venv"
# .venv: the development tools (requirements-dev.txt) with the ansible-core line of its Python.
dev_venv() { ensure_venv "$DEV_VENV" "$DEV_PYTHON" "$REPO/requirements-dev.txt" "$REPO/.ci/requirements/core-$DEV_CORE.txt"; }

# .venvs/demo: what the collection needs at run time and nothing else: ansible-core and requests.
DEMO_VENV="$REPO/.venvs/demo"
demo_venv() { ensure_venv "$DEMO_VENV" "$DEV_PYTHON" "$REPO/.ci/requirements/core-$DEV_CORE.txt" "$REPO/requirements.txt"; }

# core_venv CORE PY -> .venvs/core-CORE with the pinned ansible-core of that line.
core_venv() {
  local core=$1 py=$2 requirements="$REPO/.ci/requirements/core-$1.txt" python
  [ -f "$requirements" ] || die "no pin for ansible-core $core (add .ci/requirements/core-$core.txt)"
  check_core_python "$core" "$py"
  python=$(find_python "$py") || die "no working python$py for ansible-core $core (looked in pyenv's versions/ and on PATH)"
  ensure_venv "$REPO/.venvs/core-$core" "$python" "$requirements"
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
