"""Spring Boot's error body, for failures answered by Spring's own machinery, not by OAuth.

Spring Security's entry points and Spring MVC's exception resolvers end in
`HttpServletResponse.sendError`; Spring Boot's `BasicErrorController` then writes the body
that `DefaultErrorAttributes` (spring-boot 2.7) builds:
`{"timestamp", "status", "error", "path"}`, plus `"message"` only when the application sets
`server.error.include-message` (Boot 2.3 and later default to `never`, and drop the key).
"""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from .extensions import components
from .resource_server import PREFIX as USER_API_PREFIX


def boot_error(
    status: int, message: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    """The error body of `DefaultErrorAttributes`: `timestamp` (ISO 8601 with milliseconds and
    offset, as Boot's Jackson writes a `Date`), `status`, `error` (the status's reason phrase,
    `HttpStatus.getReasonPhrase()`), `message` when given, and `path`; headers added as given."""
    moment = datetime.fromtimestamp(components().clock(), UTC)
    body: dict[str, Any] = {
        "timestamp": moment.isoformat(timespec="milliseconds"),
        "status": status,
        "error": HTTPStatus(status).phrase,
    }
    if message is not None:
        body["message"] = message
    body["path"] = request.path
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def init_app(app: Flask) -> None:
    """Answer unknown paths and unmapped methods under `/api/` in Spring Boot's shape."""
    app.register_error_handler(404, _routing_error)
    app.register_error_handler(405, _routing_error)


def _routing_error(exc: HTTPException) -> Response | HTTPException:
    """Spring MVC's `DefaultHandlerExceptionResolver` (405 with `Allow`) or no handler (404),
    then Boot's body; outside `/api/` Flask's own page. The user API's answers carry the
    `message` the platform's user API sends; the OAuth endpoints' are a stock Boot 2.7's."""
    if not request.path.startswith("/api/"):
        return exc
    user_api = request.path == USER_API_PREFIX or request.path.startswith(USER_API_PREFIX + "/")
    headers: dict[str, str] = {}
    if isinstance(exc, MethodNotAllowed):
        allowed = [m for m in exc.valid_methods or () if m not in ("HEAD", "OPTIONS")]
        headers["Allow"] = ", ".join(sorted(allowed))
        message = f"Request method '{request.method}' not supported"
    else:
        message = "No message available"
    return boot_error(exc.code or 500, message if user_api else None, headers)
