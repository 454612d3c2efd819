"""Benchmarks: measured speed and quality figures, written as JSON."""
