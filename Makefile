# CNN Lens. `make run` serves the app, `make test` runs every test; both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
APT_PACKAGES := dataset-fashion-mnist chromium fonts-noto-cjk

.PHONY: run test screenshots bench bench-deps models weights lint system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(BIN)/streamlit run app.py --server.port $(PORT)

# Debian packages the tests need (data set, browser, CJK fonts), installed only when missing.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: $(VENV)/.dev-installed system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Full-page pictures of every page and tab (English and Chinese, TinyVGG and ResNet-18) in docs/screenshots/.
screenshots: $(VENV)/.dev-installed system-deps
	$(BIN)/python -m tests.screenshots

# Benchmark-only packages (torch-cam), without their dependencies: the venv's torch must stay the one pinned.
$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.dev-installed
	$(BIN)/pip install -q --no-deps -r requirements-bench.txt
	touch $@

bench-deps: $(VENV)/.bench-installed

# The in-process figures, then N websocket sessions against a real server, then headless Chromium (each appends
# its section to benchmarks/results.md; see benchmarks/README.md).
bench: bench-deps system-deps
	$(BIN)/python -m benchmarks.bench
	$(BIN)/python -m benchmarks.loadtest
	$(BIN)/python -m benchmarks.browser

# Retrain every committed model (about 8 minutes per CNN variant on 2 cores).
models: $(VENV)/.installed system-deps
	for a in relu sigmoid tanh elu prelu; do $(BIN)/python -m models.train --activation $$a || exit 1; done
	$(BIN)/python -m models.train --arch mlp --activation relu
	$(BIN)/python -m models.samples

# Download the six ImageNet models' weights into torch's hub cache (for machines that will be offline later).
weights: $(VENV)/.installed
	$(BIN)/python -m models.zoo

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) tests/output .pytest_cache
