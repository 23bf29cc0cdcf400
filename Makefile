# Benchmarks (see bench/README.md). PYTHON defaults to the project's virtual environment if there
# is one beside or above the checkout: the benchmark needs the project installed (pip install -e .).
PYTHON ?= $(firstword $(wildcard .venv/bin/python venv/bin/python ../venv/bin/python) python3)
BENCH_ARGS ?=

.PHONY: bench bench-quick bench-mix

# The full side-by-side run: 100,000 customers, 20 s per system and per operation of the workload
# mix; about 16 minutes on 2 cores.
bench:
	$(PYTHON) -m bench $(BENCH_ARGS)

# The small variant CI can afford: 2,000 customers, 2 s per system and operation; results in .bench/results/.
bench-quick:
	$(PYTHON) -m bench --quick $(BENCH_ARGS)

# Only the workload mix (issue 9), creditcare beside PostGraphile: BENCH_ARGS="--quick --ops detail,node" etc.
bench-mix:
	$(PYTHON) -m bench --mix-only $(BENCH_ARGS)
