"""Benchmarks: each prints measured figures (no timing asserts); run with `make bench-<name>`."""
