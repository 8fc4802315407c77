# Payments platform: one codebase, four Pulumi layers, three environments.
# `make` alone lists the targets. Everything runs from the one virtualenv in .venv.

SHELL := /bin/bash
.DEFAULT_GOAL := help

ENV ?=
CONFIRM ?=
LEFT ?= staging
LEFT_FILE ?=
RIGHT_FILE ?=
RIGHT ?= prod
SOURCE ?= deployed
JSON ?=
COLOR ?=
CANARY ?= 0
OVERRIDE ?=
FROM ?=
TO ?= prod
# The Python every virtualenv is built with: .python-version's, found or fetched by uv (PYTHON= names one).
PYTHON ?=
# uv, bootstrapped from PyPI with python3's pip into .tools/ (UV=uv uses one already installed).
UV_VERSION := 0.13.9
UV ?= .tools/uv-$(UV_VERSION)/bin/uv
UV_BOOTSTRAP := $(filter .tools/%,$(UV))
VENV := .venv
PY := $(VENV)/bin/python
SETUP_STAMP := $(VENV)/.setup-complete
# checkov pins boto3 to a version the tests cannot share: it lives in its own virtualenv.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.setup-complete
# A virtualenv whose Python is gone or is not .python-version's is rebuilt, whatever its stamp says.
PYTHON_VERSION := $(shell read -r version < .python-version && echo $$version)
venv_python = $(shell $(1)/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
ifneq ($(call venv_python,$(VENV)),$(PYTHON_VERSION))
.PHONY: $(SETUP_STAMP)
endif
ifneq ($(call venv_python,$(CHECKOV_VENV)),$(PYTHON_VERSION))
.PHONY: $(CHECKOV_STAMP)
endif
BASE ?=
COST_THRESHOLD ?= 100
SCHEMA ?=
IMAGE ?=
IMAGE_NAME ?=

.PHONY: help setup system-packages test lint docs plan check review accounts policy parity scan cost graph bench package lock preview deploy promote broadening destroy outputs drift compare release rollback bump-image

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  ENV=dev|staging|prod selects the environment; prod needs CONFIRM=prod for deploy and destroy."

setup: $(SETUP_STAMP) $(CHECKOV_STAMP) system-packages ## Create or repair .venv (uv: Python 3.11, uv.lock) and .venv-checkov, and install PostgreSQL and Graphviz when missing (idempotent)

# Only the suites that start a real database need the server; `make plan` does not.
system-packages:
	@bash tooling/setup/install_system_packages.sh

$(SETUP_STAMP): pyproject.toml uv.lock .python-version | $(UV_BOOTSTRAP)
	@PYTHON="$(PYTHON)" bash tooling/setup/venv.sh $(UV) project $(VENV)
	@touch $@

$(CHECKOV_STAMP): constraints-checkov.txt .python-version | $(UV_BOOTSTRAP)
	@PYTHON="$(PYTHON)" bash tooling/setup/venv.sh $(UV) checkov $(CHECKOV_VENV)
	@touch $@

.tools/uv-%/bin/uv:
	@bash tooling/setup/uv.sh $* .tools/uv-$*

test: lint system-packages $(CHECKOV_STAMP) ## Lint, then every test suite (infrastructure under Pulumi mocks, tooling, payment functions)
	$(PY) -m pytest

lint: $(SETUP_STAMP) ## ruff (check and format), mypy and the import contracts (lint-imports) over all code, actionlint and zizmor over the workflows; `make test` runs it first
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy shared accounts networking data application observability policy tooling functions tests
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m tooling.checks.workflows

docs: $(SETUP_STAMP) ## Regenerate the READMEs' configuration tables from the settings models and stack files
	$(PY) -m tooling.checks.config_keys --write

plan: $(SETUP_STAMP) ## Offline plan of all four layers under Pulumi mocks: ENV=dev|staging|prod, or all three
	$(PY) -m tooling.checks.plan_files $(ENV)

check: $(SETUP_STAMP) $(CHECKOV_STAMP) ## Plan each environment once, then every offline check over those plans (types, policy, parity, scan, cost, broadening against the lower environment): one summary table, one exit code (ENV= or all three)
	$(PY) -m tooling.checks.suite $(ENV)

review: $(SETUP_STAMP) $(CHECKOV_STAMP) ## What the working tree does to each environment against BASE (default: the merge base with main): build/review/review.md and review.json; exit 7 if a human must look (COST_THRESHOLD=100 USD/month, SCHEMA=<provider schema.json>)
	$(PY) -m tooling.review $(if $(BASE),--base "$(BASE)") --cost-threshold "$(COST_THRESHOLD)" $(foreach schema,$(SCHEMA),--schema "$(schema)")

policy: $(SETUP_STAMP) ## Check the offline plans against the CrossGuard policy pack (policy/): ENV=dev|staging|prod, or all three
	$(PY) -m tooling.checks.policy $(ENV)

parity: $(SETUP_STAMP) ## Check that environments differ only where their stack files declare it (each against its promotion source or predecessor)
	$(PY) -m tooling.checks.parity

bench: $(SETUP_STAMP) system-packages ## Print speed and size figures (plan wall time, handler import time, zip size, settlement rate)
	$(PY) -m tooling.bench

package: $(SETUP_STAMP) ## Build the deterministic Lambda zip (linux arm64, python3.11) and print its size and sha256
	$(PY) functions/package.py

lock: | $(UV_BOOTSTRAP) ## Re-resolve uv.lock from pyproject.toml, and checkov's constraints-checkov.txt (needs PyPI)
	$(UV) lock
	@# checkov 3.3.30's pins need Python >= 3.11.5 (soupsieve 4.1.3)
	$(UV) pip compile --quiet tooling/setup/checkov.in --python-version 3.11.5 --universal --no-annotate --custom-compile-command "make lock" -o constraints-checkov.txt

preview: $(SETUP_STAMP) ## pulumi preview of every layer in deploy order (ENV= required)
	$(PY) -m tooling.stacks preview --env "$(ENV)" --confirm "$(CONFIRM)"

deploy: $(SETUP_STAMP) ## pulumi up of every layer, behind the promotion gate (ENV= required; prod needs CONFIRM=prod, or the plan digest when it broadens permissions; OVERRIDE="reason")
	$(PY) -m tooling.stacks deploy --env "$(ENV)" --confirm "$(CONFIRM)" --override "$(OVERRIDE)"

promote: $(SETUP_STAMP) ## Deploy TO= with what FROM= runs: the promotion gate, then make deploy (FROM=staging TO=prod CONFIRM=...)
	$(PY) -m tooling.stacks deploy --env "$(TO)" --promote-from "$(FROM)" --confirm "$(CONFIRM)" --override "$(OVERRIDE)"

broadening: $(SETUP_STAMP) ## What grants more on the right than on the left (LEFT=staging RIGHT=prod SOURCE=plan|deployed, or LEFT_FILE= RIGHT_FILE= plan JSONs; JSON=file; exit 7 if anything broadens)
	$(PY) -m tooling.stacks.broadening --left "$(LEFT)" --right "$(RIGHT)" --source "$(SOURCE)" $(if $(LEFT_FILE),--left-file "$(LEFT_FILE)") $(if $(RIGHT_FILE),--right-file "$(RIGHT_FILE)") $(if $(JSON),--json "$(JSON)")

accounts: $(SETUP_STAMP) ## Bootstrap one environment's account (administrator credentials): the deploy role, its policy and boundary (ENV= required; prod needs CONFIRM=prod)
	$(PY) -m tooling.stacks.accounts --env "$(ENV)" --confirm "$(CONFIRM)"

destroy: $(SETUP_STAMP) ## pulumi destroy of every layer in reverse order (ENV= required; prod needs CONFIRM=prod)
	$(PY) -m tooling.stacks destroy --env "$(ENV)" --confirm "$(CONFIRM)"

outputs: $(SETUP_STAMP) ## Every layer's outputs and which downstream layer reads each one (ENV= required)
	$(PY) -m tooling.stacks outputs --env "$(ENV)" --confirm "$(CONFIRM)"

drift: $(SETUP_STAMP) ## Drift of a deployed environment: code vs state and state vs cloud per layer (ENV= required; JSON=file; exit 7 on drift)
	$(PY) -m tooling.stacks.drift --env "$(ENV)" $(if $(JSON),--json "$(JSON)")

compare: $(SETUP_STAMP) ## Two environments through the parity comparator (LEFT=staging RIGHT=prod; SOURCE=deployed|plan; JSON=file; exit 7 if undeclared)
	$(PY) -m tooling.stacks.compare --left "$(LEFT)" --right "$(RIGHT)" --source "$(SOURCE)" $(if $(JSON),--json "$(JSON)")

release: $(SETUP_STAMP) ## Blue/green: update the idle colour, wait until healthy, shift traffic (ENV=, COLOR=<idle>, optional CANARY=<percent>; prod: CONFIRM=prod, the promotion gate, OVERRIDE="reason")
	$(PY) -m tooling.stacks.release release --env "$(ENV)" --color "$(COLOR)" --canary "$(CANARY)" --confirm "$(CONFIRM)" --override "$(OVERRIDE)"

rollback: $(SETUP_STAMP) ## Blue/green: send all traffic back to the previous colour, which kept running (ENV=; prod: CONFIRM=prod, the promotion gate, OVERRIDE="reason")
	$(PY) -m tooling.stacks.release rollback --env "$(ENV)" --confirm "$(CONFIRM)" --override "$(OVERRIDE)"

bump-image: $(SETUP_STAMP) ## Pin the web tier's image of ENV= (application:webImage): a promoted environment carries its source's release, others the current AL2023 arm64 one (AWS credentials, or IMAGE=ami-... [IMAGE_NAME=...])
	$(PY) -m tooling.bump_image --env "$(ENV)" $(if $(IMAGE),--image "$(IMAGE)") $(if $(IMAGE_NAME),--name "$(IMAGE_NAME)")

scan: $(SETUP_STAMP) $(CHECKOV_STAMP) ## checkov (plans as Terraform-plan JSON) and parliament (IAM documents) over the offline plans; waivers in policy/waivers.yaml: ENV=dev|staging|prod, or all three
	$(PY) -m tooling.checks.scan $(ENV)

cost: $(SETUP_STAMP) ## Fixed monthly cost of each environment from its plan (tooling/checks/cost/prices.yaml); BASE=<plan.json or env> [ENV=]: what the change costs
	$(PY) -m tooling.checks.cost $(if $(BASE),--base "$(BASE)") $(ENV)

graph: $(SETUP_STAMP) ## Picture of a plan: build/graph/<env>.svg (ENV=dev|staging|prod); without ENV, LEFT vs RIGHT (environments or plan files) with what differs coloured
	$(PY) -m tooling.graph $(if $(ENV),$(ENV),--left "$(LEFT)" --right "$(RIGHT)")
