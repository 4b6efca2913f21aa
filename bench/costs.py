"""Where a signed-in page's time goes: the portal's per-request costs, one by one, in-process.

The throughput figures say how far `/profile` is from the one-read ceiling; these say what the
difference is made of. Each is measured on this process's own CPU (time.process_time) over
many WSGI calls made without HTTP, so gunicorn's own share (the same for every app) is left out.
"""

from __future__ import annotations

import io
import logging
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, g
from werkzeug.test import EnvironBuilder

from app import create_app
from app.pages import views
from app.web import logs, security
from config import Settings
from tests.support.auth import AuthActions, portal_client

CALLS = 1000
REPEATS = 9


def per_call(function: Callable[[], Any], calls: int = CALLS) -> float:
    """Median CPU seconds of one call over REPEATS runs of `calls` calls."""
    return interleaved({"it": function}, calls)["it"]


def interleaved(functions: dict[str, Callable[[], Any]], calls: int = CALLS) -> dict[str, float]:
    """per_call for each of functions, their runs taken in turn, so that a busy spell of the
    machine falls on all of them alike."""
    runs: dict[str, list[float]] = {name: [] for name in functions}
    for function in functions.values():
        function()  # warm
    for _ in range(REPEATS):
        for name, function in functions.items():
            started = time.process_time()
            for _ in range(calls):
                function()
            runs[name].append((time.process_time() - started) / calls)
    return {name: statistics.median(times) for name, times in runs.items()}


def wsgi_call(app: Any, path: str, cookie: str | None = None) -> Callable[[], None]:
    """A GET of path through app's whole WSGI stack, its body read."""
    headers = {"Cookie": cookie} if cookie else {}
    environ = EnvironBuilder(path=path, base_url="http://localhost:5000", headers=headers)
    base = environ.get_environ()

    def start(status: str, headers: list, exc_info: Any = None) -> None:
        return None

    def call() -> None:
        answer = app({**base, "wsgi.input": io.BytesIO()}, start)
        for _ in answer:
            pass
        getattr(answer, "close", lambda: None)()

    return call


def measure(environ: dict[str, str], body_bytes: int) -> dict[str, float]:
    """Microseconds per request of the portal's pieces, for the portal built from environ
    (signed in through its emulator). The log lines are written, to /dev/null."""
    settings = Settings.from_env(environ)
    portal = create_app(settings)
    body = "x" * body_bytes
    bare, plumbed = Flask("bare"), Flask("plumbed")
    for app in (bare, plumbed):
        app.get("/bare")(lambda: body)
    plumbing(plumbed, settings)
    with open(os.devnull, "w") as devnull:
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(devnull)
        logs.ACCESS_LINES.stream = devnull
        try:
            return _measure(portal, bare, plumbed)
        finally:
            logs.ACCESS_LINES.flush()
            logs.ACCESS_LINES.stream = None


def plumbing(app: Flask, settings: Settings) -> Flask:
    """app inside the portal's WSGI middleware and request hooks: access line and metrics,
    request id, proxy fix, security headers, the route note and the HEAD guard."""
    logs.init_app(app, settings.log_level)
    security.init_app(app, settings)
    return app


def _measure(portal: Flask, bare: Flask, plumbed: Flask) -> dict[str, float]:
    client = portal_client(portal)
    AuthActions(client).login()
    cookie = f"portal_session={client.get_cookie('portal_session').value}"
    costs = interleaved(
        {
            "bare": wsgi_call(bare, "/bare"),
            "plumbing": wsgi_call(plumbed, "/bare"),
            "healthz": wsgi_call(portal, "/healthz"),
            "floor": wsgi_call(portal, "/healthz", cookie),
            "profile": wsgi_call(portal, "/profile", cookie),
        }
    )
    store = portal.extensions["portal"].sessions
    sid = cookie.partition("=")[2]
    costs["session from the cache"] = per_call(lambda: store.open(sid), CALLS * 5)
    redis = portal.extensions["portal"].redis
    value = os.urandom(1100)
    redis.set("bench:costs", value)
    costs["one Redis GET (client side)"] = per_call(lambda: redis.get("bench:costs"))
    redis.delete("bench:costs")
    record = _access_log(portal).record
    logged = {
        "PATH_INFO": "/profile",
        "REQUEST_METHOD": "GET",
        logs.REQUEST_ID_KEY: "0" * 32,
        logs.ROUTE_KEY: "/profile",
        logs.USER_KEY: "alex.originator@xy-company.com",
    }
    costs["access line and metrics"] = per_call(lambda: record(logged, 200, 0.001), CALLS * 5)
    with portal.test_request_context(
        "/profile", base_url="http://localhost:5000", headers={"Cookie": cookie}
    ):
        portal.preprocess_request()
        parts = portal.extensions["portal"]
        g.account = parts.summaries.of(parts.grants.load_sealed(store.open(sid)["grant"]))
        costs["profile view and template"] = per_call(views.profile.__wrapped__)
    return {name: seconds * 1e6 for name, seconds in costs.items()}


def _access_log(app: Flask) -> logs.AccessLog:
    layer: Any = app.wsgi_app
    while not isinstance(layer, logs.AccessLog):
        layer = layer.wsgi_app
    return layer
