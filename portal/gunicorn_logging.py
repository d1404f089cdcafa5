"""gunicorn's access log without self-service tokens (``--logger-class`` in the Dockerfile).

Every atom of the log line (request line, path, query, Referer, any header) goes through
``portal.logging.mask_tokens``: ``GET /enroll/********/details``.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from portal.logging import mask_tokens


class TokenMaskingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask_tokens(value) if isinstance(value, str) else value for key, value in atoms.items()}
