"""Which requests are a person's activity, and so keep their session alive (the idle timeout
slides only for these; app/sessions/backend.py asks before the session is read).

Not activity: the probes and the metrics scraper (`/healthz`, `/readyz`, `/metrics`), static
files and the favicon, whatever no route serves (404, 405, a slash redirect), HEAD and OPTIONS
(link checkers, mail scanners, CORS preflights). A session read for one of these is read as it
is: it still ends at its idle timeout.
"""

from __future__ import annotations

from flask import Flask, Request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

NOT_ACTIVITY = frozenset(
    {"health.healthz", "health.readyz", "metrics.metrics_endpoint", "static", "pages.favicon"}
)
PASSIVE_METHODS = frozenset({"HEAD", "OPTIONS"})


def is_person_activity(app: Flask, request: Request) -> bool:
    """Whether `request` is something a person did on a page of the portal: a route of its own
    (matched as Flask will match it, with the app's URL adapter) other than NOT_ACTIVITY,
    with a method other than HEAD or OPTIONS."""
    if request.method in PASSIVE_METHODS:
        return False
    adapter = app.create_url_adapter(request)
    if adapter is None:
        return False
    try:
        endpoint, _ = adapter.match(return_rule=False)
    except (HTTPException, RequestRedirect):
        return False
    return endpoint not in NOT_ACTIVITY
