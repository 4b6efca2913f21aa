"""Spring Boot's error body, for the user API's errors that are not the resource server's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request

from ..extensions import components

REASONS = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    415: "Unsupported Media Type",
}


class BootError(Exception):
    """An error answered in Spring Boot's shape (400 for a bad body, 404 for an unknown id)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def boot_error(status: int, message: str) -> Response:
    """`DefaultErrorAttributes`: `{"timestamp", "status", "error", "message", "path"}`, the
    timestamp in ISO 8601 with milliseconds and offset, as Boot's Jackson writes a `Date`."""
    moment = datetime.fromtimestamp(components().clock(), UTC)
    body: dict[str, Any] = {
        "timestamp": moment.isoformat(timespec="milliseconds"),
        "status": status,
        "error": REASONS.get(status, "Error"),
        "message": message,
        "path": request.path,
    }
    response = jsonify(body)
    response.status_code = status
    return response


def json_body() -> dict[str, Any]:
    """The request's JSON object; raises BootError 415 (not JSON) or 400 (not an object)."""
    if not request.is_json:
        kind = request.content_type or "none"
        raise BootError(415, f"Content type '{kind}' not supported")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BootError(400, "JSON parse error: the body must be a JSON object")
    return body
