#!/usr/bin/env bash
# The recipes behind the Makefile's targets: `bash .ci/tasks.sh TARGET`.
# The Makefile exports CORE, PY, MATRIX, PORT and JOBS (CORE and PY empty unless
# given: select_pythons picks them from the Pythons this machine has); the
# helpers live in .ci/lib.sh. Run `make help` for the list.
set -uo pipefail
# shellcheck source=.ci/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

select_pythons

# .venv first on PATH (molecule and ansible-lint call ansible-* by name) and
# the collection visible to Ansible through .cache/collections.
use_dev_venv() {
  dev_venv || return
  export PATH="$DEV_VENV/bin:$PATH"
  export_collections_path
  cd "$REPO" || return
}

tarball() {
  local file
  for file in "$REPO/dist/$NAMESPACE-$NAME"-*.tar.gz; do [ -f "$file" ] && printf '%s\n' "$file"; done
}

task_venv() { dev_venv && say "$DEV_VENV is ready ($("$DEV_VENV/bin/ansible" --version | head -n 1))"; }

task_simulator() {
  use_dev_venv || return
  PYTHONPATH="$REPO/tests" exec "$DEV_VENV/bin/python" -m simulator --port "${PORT:-8080}"
}

# tests/system: pytest runs ansible-playbook against the simulator. The simulator
# package is importable as `simulator` (tests/ on PYTHONPATH).
task_pytest() {
  use_dev_venv || return
  if [ -z "$(find tests/system -name 'test_*.py' -o -name '*_test.py' 2>/dev/null | head -n 1)" ]; then
    echo "pytest: tests/system has no test files yet: nothing to run (skipped, not failed)"
    return 0
  fi
  local rc=0
  # PYTEST_WORKERS processes (pytest-xdist): each test has its own simulator and workspace, and
  # most of a test's time is ansible-playbook processes, so two workers fill the 2 cores CI has
  # once the other lane of `make test` is done.
  # test_docsite.py reads the site make docs builds: it runs in that step.
  PYTHONPATH="$REPO/tests${PYTHONPATH:+:$PYTHONPATH}" python -m pytest -p no:cacheprovider --durations=40 \
    -n "${PYTEST_WORKERS:-2}" tests/system -q --ignore tests/system/test_docsite.py || rc=$?
  # pytest's 5 means "no tests collected": with test files present that is a fault.
  [ "$rc" = 5 ] && say "pytest collected no tests although tests/system has test files"
  return "$rc"
}

# --- ansible-test, in the physical copy, with .venvs/core-$CORE on $PY ------

# Each core line works in .cache/core-<line>/: its physical copy of the
# collection, and its own HOME for ansible-test's ~/.ansible/test (sanity venvs
# are cached there under a hash of their requirements, which two lines can
# share: two lines running at once must not build the same venv). pip's
# download cache stays shared.
ansible_test() {
  local venv="$REPO/.venvs/core-$CORE" work="$CACHE/core-$CORE"
  local copy="$work/ansible_collections/$NAMESPACE/$NAME"
  core_venv "$CORE" "$PY" || return
  export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$HOME/.cache/pip}" HOME="$work/home"
  mkdir -p "$HOME"
  install_get_pip "$venv"
  sync_physical_copy "$copy" || return
  # ansible-test passes tests/integration/integration_config.yml to every target as vars: the
  # execution path of the API modules (plugins/plugin_utils/_module_action.py) for this run.
  if [ -n "${ZENDESK_OAUTH_EXECUTION:-}" ]; then
    printf 'zendesk_oauth_execution: %s\n' "$ZENDESK_OAUTH_EXECUTION" >"$copy/tests/integration/integration_config.yml"
  fi
  say "==> ansible-test $* (ansible-core $("$venv/bin/python" -c 'import ansible; print(ansible.__version__)'), Python $PY) in ${copy#"$REPO"/}"
  (cd "$copy" && PATH="$(python_links):$venv/bin:$PATH" ansible-test "$@" --color no)
}

# SANITY_SCOPE=all (the default): every sanity test, import and compile on every target Python the
# line supports. SANITY_SCOPE=core (the matrix lines): the tests whose verdict depends on the
# ansible-core line (what it loads, documents and validates), on the line's controller Python; the
# linters (pylint, pep8, shellcheck, yamllint, ...) judge the same files the same way on every line,
# and the default line runs them.
CORE_SANITY_TESTS="compile import validate-modules ansible-doc action-plugin-docs runtime-metadata"
task_sanity() {
  local ignore test args=()
  for ignore in "$REPO"/tests/sanity/ignore-*.txt; do
    [ -s "$ignore" ] && { say "${ignore#"$REPO"/} is not empty: fix the code instead"; return 1; }
  done
  case "${SANITY_SCOPE:-all}" in
    all) ensure_shellcheck ;;
    core) for test in $CORE_SANITY_TESTS; do args+=(--test "$test"); done
          args+=(--python "$PY") ;;
    *) die "SANITY_SCOPE is all or core, not $SANITY_SCOPE" ;;
  esac
  ansible_test sanity --venv "${args[@]}"
}

# UNIT_PYTHONS=all: a venv per target Python the core line supports (3.9+,
# tests/config.yml), so module_utils meet every Python they run on.
# UNIT_PYTHONS=controller (the default): only $PY, in .venvs/core-$CORE; the
# lines of `make test` and `make test-matrix` have the controller Pythons 3.11,
# 3.12 and 3.13, and sanity's compile and import tests cover every target Python.
task_units() {
  if [ -z "$(find "$REPO/tests/unit" -name 'test_*.py' 2>/dev/null | head -n 1)" ]; then
    echo "units: tests/unit has no test files yet: nothing to run (skipped, not failed)"
    return 0
  fi
  case "${UNIT_PYTHONS:-controller}" in
    all) ansible_test units --venv ;;
    controller) ansible_test units --local --python "$PY" --requirements ;;
    *) die "UNIT_PYTHONS is all or controller, not $UNIT_PYTHONS" ;;
  esac
}

# The controller is .venvs/core-$CORE itself, as a user's would be; ansible-test
# adds tests/integration/requirements.txt to it. Targets reach the simulator
# through the collection: see tests/simulator/README.md.
task_integration() {
  if [ -z "$(find "$REPO/tests/integration/targets" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n 1)" ]; then
    echo "integration: tests/integration/targets is empty: nothing to run (skipped, not failed)"
    return 0
  fi
  # Every target on each execution path of the API modules: in the controller's process, and as
  # module processes (INTEGRATION_PATHS="controller" for one).
  local path rc=0
  for path in ${INTEGRATION_PATHS:-controller module}; do
    say "==> integration targets with zendesk_oauth_execution=$path"
    ZENDESK_OAUTH_EXECUTION=$path ansible_test integration --local --requirements || rc=1
  done
  return "$rc"
}

# --- linters and docs, in .venv ---------------------------------------------

task_lint() { use_dev_venv && ansible-lint --offline --profile production; }
task_changelog_lint() { use_dev_venv && antsibull-changelog lint && antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml; }
task_docs_lint() { use_dev_venv && antsibull-docs lint-collection-docs --plugin-docs .; }

# The docs site (.ci/docsite.sh) into docs/build/html, then read by tests/system/test_docsite.py (which
# builds a site of its own when run without DOCSITE_HTML; make pytest leaves it to this step).
task_docs() {
  use_dev_venv || return
  bash "$REPO/.ci/docsite.sh" "$REPO/docs/build/html" || return
  DOCSITE_HTML="$REPO/docs/build/html" PYTHONPATH="$REPO/tests" python -m pytest -p no:cacheprovider -q \
    tests/system/test_docsite.py || return
  echo "docs: open file://$REPO/docs/build/html/index.html"
}

# --- the artefact -------------------------------------------------------------

# The tarball may hold collection content only: no tooling, caches or output.
task_build() {
  use_dev_venv || return
  rm -rf "$REPO/dist"
  ansible-galaxy collection build --force --output-path "$REPO/dist" "$REPO" || return
  local listing stray
  listing=$(tar -tzf "$(tarball)") || return
  printf '%s\n' "$listing"
  echo "$(basename "$(tarball)"): $(wc -l <<<"$listing") entries"
  stray=$(grep -E '(^|/)(\.venvs?|\.cache|\.ci|\.git|\.pytest_cache|__pycache__|dist|tests/output|Makefile)(/|$)|\.(tar\.gz|pyc)$' <<<"$listing" |
    sed -E 's#^((\.[^/]+|dist|tests/output)/).*#\1#' | sort -u)
  if [ -n "$stray" ]; then
    say "the tarball holds files that are not collection content (add them to build_ignore in galaxy.yml):"
    say "$stray"
    return 1
  fi
}

GALAXY_VENV="$REPO/.venvs/galaxy"
galaxy_venv() { ensure_venv "$GALAXY_VENV" "$DEV_PYTHON" "$REPO/.ci/requirements/galaxy.txt"; }

# galaxy-importer as Galaxy runs it on upload, minus the ansible-test run that
# needs a container. It writes importer_result.json into its cwd: a temp dir.
task_importer() {
  task_build >/dev/null || { say "make build failed"; return 1; }
  galaxy_venv || return
  local work rc=0
  work=$(mktemp -d)
  printf '[galaxy-importer]\nRUN_ANSIBLE_TEST = False\nRUN_ANSIBLE_LINT = True\nOFFLINE_ANSIBLE_LINT = True\n' >"$work/galaxy-importer.cfg"
  (cd "$work" && PATH="$GALAXY_VENV/bin:$PATH" GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg" \
    python -m galaxy_importer.main "$(tarball)") 2>&1 | tee "$work/importer.log" || rc=$?
  if grep -q -i 'warning' "$work/importer.log"; then
    echo "importer: warnings:"
    grep -i 'warning' "$work/importer.log" | sed 's/^/  /'
  fi
  rm -rf "$work"
  return "$rc"
}

# The build context of execution-environment.yml (ansible-builder create), left in
# .cache/ee/context: the container build itself needs Podman or Docker and a
# network. `introspect` on the installed tarball checks that
# meta/execution-environment.yml brings requests.
task_ee() {
  task_build >/dev/null || { say "make build failed"; return 1; }
  galaxy_venv || return
  local ee="$CACHE/ee" file
  file=$(basename "$(tarball)")
  rm -rf "$ee" && mkdir -p "$ee" || return
  "$GALAXY_VENV/bin/ansible-builder" create --file "$REPO/execution-environment.yml" --context "$ee/context" || return
  [ -f "$ee/context/Containerfile" ] || [ -f "$ee/context/Dockerfile" ] || { say "ansible-builder wrote no Containerfile"; return 1; }
  [ -f "$ee/context/_build/collections/$file" ] || { say "$file is not in the build context"; return 1; }
  ANSIBLE_COLLECTIONS_PATH="$ee/installed" "$DEV_VENV/bin/ansible-galaxy" collection install --no-deps \
    "$(tarball)" -p "$ee/installed" >/dev/null || return
  "$GALAXY_VENV/bin/ansible-builder" introspect --sanitize "$ee/installed" | tee "$ee/introspect.txt"
  grep -q "requests .*# from collection $NAMESPACE.$NAME" "$ee/introspect.txt" ||
    { say "introspect does not list requests from meta/execution-environment.yml"; return 1; }
  echo "ee: the build context of execution-environment.yml is in ${ee#"$REPO"/}/context; build the image with"
  echo "    ansible-builder build --file execution-environment.yml --context ${ee#"$REPO"/}/context --tag NAME"
}

# The README's first command: the role against the simulator, twice, from the
# built tarball, with only what the collection needs at run time (.venvs/demo:
# ansible-core and requests).
task_demo() {
  demo_venv || return
  VENV="$DEMO_VENV" bash "$REPO/examples/demo.sh"
}

# The collection on its own: the tarball installed into an empty collections
# path, and the demo run by that installed copy's examples/demo.sh (its
# playbook, its simulator), with the runtime venv only.
task_demo_installed() {
  demo_venv || return
  local work rc=0 installed
  work=$(mktemp -d)
  installed="$work/collections/ansible_collections/$NAMESPACE/$NAME"
  {
    "$DEMO_VENV/bin/ansible-galaxy" collection build --output-path "$work/dist" "$REPO" >/dev/null &&
      ANSIBLE_COLLECTIONS_PATH="$work/collections" "$DEMO_VENV/bin/ansible-galaxy" collection install \
        --no-deps -p "$work/collections" "$work/dist/$NAMESPACE-$NAME"-*.tar.gz &&
      VENV="$DEMO_VENV" bash "$installed/examples/demo.sh"
  } || rc=$?
  rm -rf "$work"
  return "$rc"
}

task_bench() {
  use_dev_venv || return
  # shellcheck disable=SC2086 # BENCH_ARGS holds several words on purpose
  python bench/run.py --out docs/benchmarks.md ${BENCH_ARGS:-}
}

# The role for a simulated year under Zendesk's 2027 token rules: runs every 12 hours, a 40-day gap
# that outlives the refresh token. Prints the figures; the report goes to tests/output/soak-year.json.
task_soak_year() {
  use_dev_venv || return
  python tests/system/soak_year.py --days 365 --every-hours 12 --gap-start-day 180 --gap-days 40 \
    --json tests/output/soak-year.json
}

# The fault soak of make pytest, longer: 2 lanes of 8 role runs and 17 module runs under random faults
# (make pytest: 3 and 6). Its report goes to tests/output/soak-report.json.
task_soak() {
  use_dev_venv || return
  SOAK_ROLE_RUNS=${SOAK_ROLE_RUNS:-8} SOAK_MODULE_RUNS=${SOAK_MODULE_RUNS:-17} PYTHONPATH="$REPO/tests" \
    python -m pytest -p no:cacheprovider -q -s tests/system/test_soak.py
}

# The role killed with SIGKILL at random moments (30 times) and run twice at once (6 times), then run
# clean: no token nobody holds, no secret lost (tests/system/chaos.py; make pytest runs 6 and 2).
task_chaos() {
  use_dev_venv || return
  PYTHONPATH="$REPO/tests" python tests/system/chaos.py --kills "${CHAOS_KILLS:-30}" --overlaps "${CHAOS_OVERLAPS:-6}" \
    --json tests/output/chaos.json
}

task_molecule() {
  use_dev_venv || return
  if [ ! -d extensions/molecule ]; then
    echo "molecule: no extensions/molecule/ scenarios yet: skipped"
    return 0
  fi
  molecule test --all
}

# --- the live contract suite (tests/live) ----------------------------------------

# Against the account in ZENDESK_URL or ZENDESK_SUBDOMAIN with an admin's ZENDESK_EMAIL +
# ZENDESK_API_TOKEN or ZENDESK_OAUTH_TOKEN; without them it runs nothing and exits 0. exec: a
# Ctrl-C or SIGTERM reaches the suite itself, which cleans up before it exits.
task_test_live() { use_dev_venv && exec python tests/live/run.py run; }
task_test_live_clean() { use_dev_venv && exec python tests/live/run.py clean; }

# CI's proof of the suite: the tests of its guard, then make test-live and make test-live-clean
# against the simulator as a separate process (a full run, a run interrupted, one killed, a clean).
task_live_proof() {
  use_dev_venv || return
  python -m pytest -p no:cacheprovider -q tests/live && python tests/live/ci_proof.py
}

# --- the aggregates -------------------------------------------------------------

task_core_venv() { core_venv "$CORE" "$PY"; }

# Every check on the default line, in two lanes of about the same length:
# tests/system with molecule and the live suite's proof; and the rest
# (ansible-test in .cache/core-$CORE, docs, the demos in temp dirs, lint, and
# the artefact: build, importer, ee on dist/ and .cache/ee, in turn, in this
# lane only). Keeps going after a failure.
test_lane_system() { run_tasks pytest molecule live-proof; }
test_lane_rest() { run_tasks sanity units integration changelog-lint docs-lint docs demo demo-installed lint build importer ee; }

# step_task STEP_NAME TASK: one step, the task in a process of its own.
step_task() { run_step "$1" bash "$REPO/.ci/tasks.sh" "$2"; }
run_tasks() {
  local task
  for task in "$@"; do step_task "$task" "$task"; done
}

task_test() {
  # The integration targets on the controller path here (what `auto` takes for a task on the controller); the
  # module path runs them on 2.17 in make test-matrix, and tests/system/test_execution_paths.py runs every
  # module's cases on both paths on this line. `make integration` alone runs both paths.
  export INTEGRATION_PATHS=${INTEGRATION_PATHS:-controller}
  RESULTS=$(results_file test)
  mkdir -p "$LOG_DIR" && : >"$RESULTS"
  step_task venv venv
  ensure_shellcheck   # once, not from two lanes at a time
  run_lanes test_lane_system test_lane_rest
  SHOW_LOGS=1 summary "make test" "$RESULTS"
}

# sanity and units on the other supported ansible-core lines, integration on INTEGRATION_LINES;
# with JOBS=2, lines 1, 3, ... in one lane and 2, 4, ... in the other.
matrix_lane() {
  local lane=$1 index=0 entry
  for entry in $MATRIX; do
    index=$((index + 1))
    [ $((index % ${JOBS:-1})) = "$lane" ] || continue
    (
      # The integration targets on the lines of INTEGRATION_LINES (line:path), on that execution path of
      # the API modules (make test runs both on its line).
      local tasks="sanity units" line
      INTEGRATION_PATHS=
      for line in ${INTEGRATION_LINES:-}; do
        [ "${line%%:*}" = "${entry%%:*}" ] && { INTEGRATION_PATHS=${line##*:}; tasks="$tasks integration"; }
      done
      export CORE=${entry%%:*} PY=${entry##*:} UNIT_PYTHONS=controller SANITY_SCOPE=core INTEGRATION_PATHS
      # A line whose Python this machine lacks: skipped on a developer's machine, a failure in CI.
      if [ "${CI:-}" != true ] && ! find_python "$PY" >/dev/null; then
        printf '%-7s %-20s (no python%s on this machine)\n' skipped "venv-$CORE" "$PY"
        exit 0
      fi
      step_task "venv-$CORE" core-venv || exit
      for task in $tasks; do step_task "$task-$CORE" "$task"; done
    )
  done
}

task_test_matrix() {
  RESULTS=$(results_file test-matrix)
  mkdir -p "$LOG_DIR" && : >"$RESULTS"
  ensure_shellcheck
  local lane lanes=()
  for ((lane = 0; lane < ${JOBS:-1}; lane++)); do lanes+=("matrix_lane $lane"); done
  run_lanes "${lanes[@]}"
  SHOW_LOGS=1 summary "make test-matrix" "$RESULTS"
}

target=${1:?usage: tasks.sh TARGET}
fn="task_${target//-/_}"
declare -F "$fn" >/dev/null || die "unknown target: $target"
"$fn"
