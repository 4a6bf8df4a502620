# Developer and CI entry points for the zendesk.oauth collection.
# Every target creates what it needs (venvs from PyPI with pinned versions);
# the recipes are in .ci/tasks.sh, the shared helpers in .ci/lib.sh.

# ansible-core line and controller Python for sanity/units/integration. Left
# empty, they follow the Python make picks for .venv: the first of 3.12, 3.13,
# 3.11 this machine has, with the newest ansible-core line it runs (2.21 on
# 3.12+, 2.19 on 3.11). See .ci/lib.sh select_pythons.
CORE ?=
PY ?=
# The other supported lines for `make test-matrix`, as core:python. Each core
# line has its pin in .ci/requirements/core-<line>.txt. ansible-test 2.17 does
# not run on 3.13 and 2.20+ need 3.12+, so the controller Pythons 3.11, 3.12
# and 3.13 are each covered once with 2.21/3.12 from `make test`.
MATRIX ?= 2.17:3.11 2.18:3.11 2.19:3.12 2.20:3.13
# The matrix lines that also run the integration targets, each on one execution path: 2.17 (the
# oldest) as module processes, 2.19 (the first line of the new templating engine) in the controller;
# `make test` runs them in the controller on its line (`make integration` alone: both paths). 2.18 and
# 2.20, between those, get sanity and units.
INTEGRATION_LINES ?= 2.17:module 2.19:controller
# How many steps run at once in `make test` and `make test-matrix` (1 = in turn).
JOBS ?= 2
# Port for `make simulator`.
PORT ?= 8080
export CORE PY MATRIX INTEGRATION_LINES PORT JOBS

TASK := bash .ci/tasks.sh

.PHONY: help demo demo-installed bench venv simulator pytest sanity units integration lint changelog-lint \
	docs-lint docs build importer ee molecule test test-matrix clean distclean

help:
	@echo 'make demo           the bootstrap role against the embedded simulator, run twice (second: changed=0);'
	@echo '                    installs only ansible-core and requests, into .venvs/demo'
	@echo 'make demo-installed the same, run by examples/demo.sh of the tarball installed into an empty path'
	@echo 'make bench          benchmark: requests, task overhead, scale, rate-limit budget -> docs/benchmarks.md'
	@echo 'make soak           the fault soak of make pytest, longer (2 lanes x 25 runs) -> tests/output/soak-report.json'
	@echo 'make chaos          the role killed at random moments (30) and run twice at once (6) -> tests/output/chaos.json'
	@echo 'make soak-year      the role for a simulated year under the 2027 token rules -> tests/output/soak-year.json'
	@echo 'make test           every check below (ansible-core 2.21 / Python 3.12 where the machine has 3.12)'
	@echo 'make test-matrix    core-dependent sanity + units on MATRIX="$(MATRIX)", integration on INTEGRATION_LINES="$(INTEGRATION_LINES)"'
	@echo 'make venv           .venv with the pinned tools of requirements-dev.txt (Python 3.12, else 3.13, else 3.11)'
	@echo 'make simulator      the Zendesk simulator on http://127.0.0.1:$(PORT) (PORT=...)'
	@echo 'make pytest         tests/system (pytest driving ansible-playbook)'
	@echo 'make sanity|units|integration [CORE=2.19 PY=3.12]   ansible-test'
	@echo 'make lint           ansible-lint, production profile'
	@echo 'make changelog-lint | docs-lint | docs'
	@echo 'make build          dist/ tarball, checked for stray files'
	@echo 'make importer | ee  galaxy-importer; the build context of execution-environment.yml in .cache/ee/context'
	@echo 'make molecule       role scenarios in extensions/molecule/'
	@echo 'make test-live      modules and role against the Zendesk account in ZENDESK_URL/_SUBDOMAIN (none: runs nothing)'
	@echo 'make test-live-clean  remove what interrupted live runs left (clients with the suite prefix)'
	@echo 'make clean          remove generated files (keeps the venvs); distclean: the venvs make made too'

venv simulator pytest sanity units integration lint changelog-lint docs-lint docs build importer ee molecule test test-matrix \
	demo demo-installed bench:
	@$(TASK) $@

# The live contract suite (tests/live, docs/docsite/rst/guide_contributing_live.rst): against the
# account in ZENDESK_URL or ZENDESK_SUBDOMAIN with an admin's ZENDESK_* credential; without them it
# runs nothing, says so and exits 0.
.PHONY: test-live test-live-clean
test-live test-live-clean:
	@$(TASK) $@

# A year of the role under Zendesk's 2027 token rules in simulated time (tests/system/soak_year.py);
# make pytest runs a 60-run version (tests/system/test_soak_year.py).
.PHONY: soak-year soak chaos
soak-year soak chaos:
	@$(TASK) $@

clean:
	rm -rf .cache dist docs/build tests/output tests/integration/inventory

# Only the venvs make created (they hold a .ci-stamp file); any other folder is left alone.
distclean: clean
	@for venv in .venv .venvs/*; do \
	  if [ -f "$$venv/.ci-stamp" ]; then echo "rm -rf $$venv"; rm -rf "$$venv"; \
	  elif [ -e "$$venv" ]; then echo "left alone (make did not create it): $$venv"; fi; \
	done; rmdir .venvs 2>/dev/null || true
