"""gunicorn's logger without its access log: the app writes its own request lines
(app/web/logs.py)."""

from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger


class NoAccessLogger(Logger):
    """gunicorn's Logger, less the per-request access line (built, then discarded, otherwise)."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        """Do nothing: the portal logs each request itself, with secrets redacted."""
