"""Benchmarks: each module exposes ``run(*, quick: bool) -> list[dict]``; ``python -m benchmarks`` runs them.

Every row carries a baseline measured in the same run, so a reader sees how close we are to the limit.
These are measurements, not tests: nothing here asserts a time.
"""
