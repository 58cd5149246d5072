"""Benchmarks: `make bench [SCALE=small|nyc]` writes docs/benchmarks.md."""
