# Two commands a new user needs: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run sandbox test lint bench floors clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	OGS_DEV=$${OGS_DEV:-1} $(BIN)/ogservice serve --dev --with-worker

# Every vendor emulator on loopback (no keys); paste the export lines it prints before `make run`.
sandbox: $(STAMP)
	$(BIN)/ogservice sandbox

test: $(STAMP)
	@$(BIN)/python -c "import redis,sys; redis.Redis(host='127.0.0.1', port=6379).ping()" 2>/dev/null \
	  || (command -v redis-server >/dev/null && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no) \
	  || echo "warning: no Redis on 127.0.0.1:6379; Redis tests will fail"
	$(BIN)/python -m pytest

# The suite against the lowest version of each dependency pyproject.toml allows (downloads them).
floors: $(STAMP)
	rm -rf .venv-floors && $(PY) -m venv .venv-floors
	.venv-floors/bin/pip install --quiet -e '.[dev]' $$($(BIN)/python tests/test_dependencies.py)
	.venv-floors/bin/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/ogservice bench render

clean:
	rm -rf $(VENV) .venv-floors var .pytest_cache
