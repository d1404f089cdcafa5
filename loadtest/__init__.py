"""The load test (issue 8): gunicorn + PostgreSQL on loopback, 50 employees completing self-service and
10 brokers browsing the book of business for a bounded time. ``python -m loadtest [--short]``.

The driver is plain threads + ``requests`` (no locust): one thread per simulated user, each with its own
session (cookies, CSRF). See docs/load.md for how to run it and the last full run's figures.
"""
