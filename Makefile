# Two commands: `make study` runs the default study, `make test` runs ruff, snakemake --lint and the tests.
# Both create .venv (Python 3.11) and install the package on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all
CONFIG ?= config/config.yaml

.PHONY: study test lint report corruptions clean-venv

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(BIN)/python -m pip install --quiet -e ".[test,medical]"
	touch $(STAMP)

study: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG)

report: $(STAMP)
	$(BIN)/snakemake --cores $(CORES) --configfile $(CONFIG) --report results/report.html

test: $(STAMP)
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/snakemake --lint --configfile config/smoke.yaml
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/snakemake --lint --configfile $(CONFIG)

# The optional MedMNIST-C extra (perturbstudy[corruptions]) and its system library, ImageMagick's MagickWand:
# installed with apt-get when run as root on Debian/Ubuntu, otherwise the command to run is printed.
corruptions: $(STAMP)
	@if ldconfig -p 2>/dev/null | grep -q libMagickWand; then echo "MagickWand: found"; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then apt-get install -y -qq libmagickwand-6.q16-6; \
	else echo "MagickWand missing: apt-get install libmagickwand-6.q16-6, conda install -c conda-forge imagemagick, or brew install imagemagick"; fi
	$(BIN)/python -m pip install --quiet -e ".[test,medical,corruptions]"

clean-venv:
	rm -rf $(VENV)
