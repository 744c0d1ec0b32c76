# The two commands of the README: `make bench` (the main job) and `make test` (the tests).
# Both need only `python3.14` on PATH and PyPI; everything else is installed here.
PYTHON ?= python3.14
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: test bench lint rehearse

$(BIN)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest -m "not slow"

# The main job: benchmark recent Bengal history and write the asv site. It ends with a summary
# (tools/asv_local/summary.py); exit status 0: every benchmark gave a value, 1: only Bengal's
# findings failed (make prints "Error 1": the run worked), 2: the harness failed.
#   make bench                                   # the LATEST=3 newest releases from PyPI, profile pr
#   make bench BENGAL_REPO=~/src/bengal RANGE=main~5..main   # a Bengal checkout instead
#   make bench PROFILE=smoke LATEST=2            # a quick look
LATEST  ?= 3
PROFILE ?= pr
BENGAL_REPO ?=
SOURCE  := $(if $(BENGAL_REPO),--repo $(BENGAL_REPO),--latest $(LATEST))
RANGE   ?= $(if $(BENGAL_REPO),main~2..main,ALL)

.PHONY: bench preview
bench: $(BIN)/.installed
	@mkdir -p .asv; rm -f .asv/bench.rc; \
	{ BENGAL_BENCH_PROFILE=$(PROFILE) $(BIN)/python -m tools.asv_local $(SOURCE) \
	    run "$(RANGE)" --skip-existing-successful --record-samples --show-stderr \
	    || echo $$? > .asv/bench.rc; } 2>&1 | tee .asv/bench.log; \
	status=$$(cat .asv/bench.rc 2>/dev/null || echo 0); \
	$(BIN)/python -m tools.asv_local publish || exit $$?; \
	$(BIN)/python -m tools.asv_local.summary --log .asv/bench.log --asv-rc $$status \
	    --results .asv/results --html $(CURDIR)/.asv/html

preview: $(BIN)/.installed
	$(BIN)/python -m tools.asv_local preview

# Every workflow run end to end on this machine, offline, with act and GitHub's pinned actions
# (python -m rehearsal; docs/local-and-ci.md). Chromium opens the published site.
#   make rehearse                      # ci compare comment nightly bisect backfill
#   make rehearse WORKFLOWS="nightly"  # some of them
WORKFLOWS ?=
rehearse: $(BIN)/.installed
	@command -v chromium >/dev/null || { apt-get update -q && apt-get install -y -q chromium; }
	$(BIN)/python -m rehearsal $(WORKFLOWS) --work $(CURDIR)/rehearsal-work
