"""gunicorn hooks of the load test (``gunicorn -c python:loadtest.gunicorn_cpu``): the CPU time of each
request in the worker thread that served it, from ``pre_request`` to ``post_request`` (the view, the
templates, the database driver; not PostgreSQL's own), appended as ``page<TAB>ms`` to the file named by
LOADTEST_CPU_LOG for requests that name their page in ``X-Loadtest-Page`` (the load test's users do).
Lines are short single ``write``s to a file opened with O_APPEND, so threads and workers never interleave.
"""

from __future__ import annotations

import os
import time


def pre_request(worker, req) -> None:
    req.loadtest_cpu = time.thread_time()


def post_request(worker, req, environ, resp) -> None:
    page = environ.get("HTTP_X_LOADTEST_PAGE")
    started = getattr(req, "loadtest_cpu", None)
    if page and started is not None:
        line = f"{page}\t{(time.thread_time() - started) * 1000:.3f}\n".encode()
        fd = os.open(os.environ["LOADTEST_CPU_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
