"""Ratio benchmarks: run one with `.venv/bin/python -m bench.<name>`; each prints its figures and
the ratio to a baseline, and none asserts timings."""
