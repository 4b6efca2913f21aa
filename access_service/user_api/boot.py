"""The user API's errors that are not the resource server's, in Spring Boot's shape
(`access_service.boot`), with their `message`: the portal shows it beside the form field."""

from __future__ import annotations

from typing import Any

from flask import request


class BootError(Exception):
    """An error answered in Spring Boot's shape (400 for a bad body, 404 for an unknown id)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def json_body() -> dict[str, Any]:
    """The request's JSON object; raises BootError 415 (not JSON) or 400 (not an object)."""
    if not request.is_json:
        kind = request.content_type or "none"
        raise BootError(415, f"Content type '{kind}' not supported")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BootError(400, "JSON parse error: the body must be a JSON object")
    return body
