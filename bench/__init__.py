"""Ratio benchmarks: each prints its figures and the ratio to a baseline; none asserts timings."""
