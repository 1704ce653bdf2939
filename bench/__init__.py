"""Benchmarks for `make bench`: the app against a bare Litestar app served the same way, in one run."""
