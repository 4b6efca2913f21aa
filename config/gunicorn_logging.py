"""gunicorn's logger without its access log: the app writes its own request lines (app/logs.py)."""

from gunicorn.glogging import Logger


class NoAccessLogger(Logger):
    """gunicorn's Logger, less the per-request access line (built, then discarded, otherwise)."""

    def access(self, resp, req, environ, request_time) -> None:
        """Do nothing: the portal logs each request itself, with secrets redacted."""
