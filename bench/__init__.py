"""The national-scale benchmark (`make bench`): deterministic data, the real ingest path, the queries,
the pages, the map payload, a real server's memory and streaming latency, and a naive baseline.

Run `python -m bench.run --incidents N`; everything it writes goes to bench/out/ (git-ignored) except
BENCHMARKS.md.
"""
