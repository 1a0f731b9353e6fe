# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DB     ?= data/voc.duckdb
PORT   ?= 8501
ADDRESS ?=
# The demo's size: the planted patterns come out at 400 customers x 60 days already (make eval-analytics).
DEMO_ARGS ?= --customers 1000 --days 90

.PHONY: install demo serve test test-fast train-models eval eval-topics eval-analytics eval-redaction eval-forecast \
        bench-ingest bench-enrich bench-topics bench-build bench-dashboard bench-readers bench-scale bench-small-files bench-ray clean

$(VENV)/.installed: requirements.txt requirements-hashed.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	$(VENV)/bin/pip install --quiet --no-deps --require-hashes -r requirements-hashed.txt
	touch $@

install: $(VENV)/.installed  ## create .venv and install requirements.txt, then requirements-hashed.txt (pinned by hash)

demo: install  ## generate the demo data, build the warehouse, serve the dashboard
	$(PY) -m pipelines --db $(DB) demo $(DEMO_ARGS)
	$(MAKE) serve

serve: install  ## serve the dashboard on http://localhost:$(PORT) (all interfaces only with sign-in on, or ADDRESS=...)
	VOC_DB=$(DB) $(PY) -m dashboard.serve --port $(PORT) $(if $(ADDRESS),--address $(ADDRESS))

test: install  ## the whole suite (browser tests need Debian's chromium: see .ci/run)
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not slow and not browser"

train-models: install  ## retrain the shipped sentiment/emotion heads: full (models/), fast (models/fast/), multilingual (models/multilingual/)
	$(PY) -m pipelines.models.train --mode both
	$(PY) -m pipelines.models.multilingual_train

eval: install  ## model quality on ../shared/datasets, next to VADER, full and fast mode side by side
	$(PY) -m pipelines.models.evaluate

eval-topics: install  ## topic quality (NMI/ARI, outliers, stability, naming) on banking77 and CFPB
	$(PY) -m pipelines.topics.evaluate

eval-analytics: install  ## planted patterns and real-data checks of the marts
	$(PY) -m analytics.evaluate

eval-redaction: install  ## PII redaction: recall/precision per type, decoys kept, texts/s on real text
	$(PY) -m benchmarks.eval_redaction

eval-forecast: install  ## volume forecast (ETS) vs seasonal-naive, last 4 weeks held out: demo, TWCS, CFPB
	$(PY) -m benchmarks.eval_forecast

bench-ingest: install  ## ingest rows/s vs DuckDB read_csv; size with ROWS=300000 (default 1M)
	$(PY) -m benchmarks.bench_ingest --rows $(or $(ROWS),1000000)

bench-enrich: install
	$(PY) -m benchmarks.bench_enrich

bench-topics: install
	$(PY) -m benchmarks.bench_topics

bench-build: install
	$(PY) -m benchmarks.bench_build

bench-dashboard: install
	$(PY) -m benchmarks.bench_dashboard

bench-readers: install  ## dashboard reads/s and latency while the pipeline publishes (tests/test_faults_readers.py asserts only the property)
	$(PY) -m benchmarks.bench_readers

bench-scale: install
	$(PY) -m benchmarks.bench_scale

bench-small-files: install  ## small-file ingest (one JSON per call): files/s and CPU ms per file
	$(PY) -m benchmarks.bench_small_files

bench-ray: install  ## enrichment texts/s: local engine vs Ray Data with 1 and 2 local workers
	$(PY) -m benchmarks.bench_ray

clean:
	rm -rf data/*.duckdb data/demo data/bench .pytest_cache
