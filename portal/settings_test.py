"""Settings for the test suite: the same as development, with a fast hasher and captured e-mail.

``DATABASE_URL`` and ``REDIS_URL`` still switch to PostgreSQL and Redis, as CI does.
"""

import os

os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("SANDBOX_TODAY", "2026-11-23")

from .settings import *  # noqa: E402,F403
from .settings import REDIS_URL  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DEBUG = False
# The sandbox's processing clock runs fast in tests; a test that needs another clock overrides it.
SANDBOX_FILE_PICKUP_SECONDS = 0.2
SANDBOX_FILE_PROCESSING_SECONDS = 0.5

# Without Redis the tests' Celery worker runs in-process on kombu's memory transport. With Redis
# (CI), each test process gets its own queue so that no two runs take each other's tasks.
if not REDIS_URL:
    CELERY_BROKER_URL = "memory://"
    # kombu's virtual transports sleep polling_interval (1 s) between empty polls: each task the
    # tests queue would wait up to a second for the worker to see it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"polling_interval": 0.02}
CELERY_TASK_DEFAULT_QUEUE = f"portal-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"

# On SQLite the test database is a file, not shared-cache memory: the live server and the worker
# thread then wait on each other's locks (the 20 s timeout above) instead of failing at once with
# "database table is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
