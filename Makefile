# Two commands do everything on a fresh machine with Python 3.11:
#   make demo   set up, then solve the Trafford default and write runs/trafford/
#   make test   set up, then run the whole test suite
#   make test-fast   set up, then only the fast tier (tests not marked slow) on both cores, for development
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast setup browser verify benchmarks data clean

$(BIN)/estate-opt: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

setup: $(BIN)/estate-opt

# Headless Chromium for the browser tests (Debian's packages; needs root, as in CI).
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else echo "note: chromium + chromium-driver not installed; browser tests will be skipped"; fi

demo: setup
	$(BIN)/estate-opt run scenarios/trafford.yaml --out runs/trafford --overwrite --allow-gap
	$(BIN)/estate-opt verify runs/trafford

test: setup browser
	$(BIN)/python -m pytest -q

# The fast tier: everything not marked slow (no Trafford solve, no notebook, no property exploration).
test-fast: setup browser
	$(BIN)/python -m pytest -q -n 2 -m "not slow"

# Rebuild data/trafford/ from the raw open data in data/raw/.
data: setup
	$(BIN)/python data/build_trafford.py

# Figures, not tests: every speed target against its baseline (pbp-pmedian is the p-median baseline).
benchmarks: setup
	$(BIN)/python -m pip install --quiet pbp-pmedian
	$(BIN)/python benchmarks/targets.py
	$(BIN)/python benchmarks/orlib.py --all-hard
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/validate_big.py
	$(BIN)/python benchmarks/programme.py

clean:
	rm -rf $(VENV) runs .pytest_cache
