"""The load test (docs/load.md): gunicorn + PostgreSQL on loopback, 50 employees completing self-service and
10 brokers browsing the book of business, as Locust users (``loadtest/locustfile.py``), for a bounded time.
``python -m loadtest [--short]`` sets it all up, runs Locust headless and writes the table.
"""
