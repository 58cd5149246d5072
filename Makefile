# The only commands a user needs: `make demo`, `make test`, `make bench [SCALE=small|nyc]`.
# Each creates .venv when missing and installs the project into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SCALE  ?= small
# pytest workers: one per core (the reference machine has 2)
WORKERS ?= 2

.PHONY: demo test bench lint install clean notebooks

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/sanitizer demo

test: $(STAMP)
	$(BIN)/ruff check sanitizer tests bench
	$(BIN)/ruff format --check sanitizer tests bench
	$(BIN)/python -m pytest -n $(WORKERS) -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m bench --scale $(SCALE)

# re-execute notebooks/*.ipynb in place so the committed copies carry fresh outputs
notebooks: $(STAMP)
	$(BIN)/python notebooks/build.py

lint: $(STAMP)
	$(BIN)/ruff check sanitizer tests bench
	$(BIN)/ruff format --check sanitizer tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
