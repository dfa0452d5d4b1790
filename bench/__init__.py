"""Benchmarks: run with ``python -m bench`` (or ``make bench``); figures are printed and written as JSON."""
