"""Settings from the environment (for `gunicorn 'access_service:create_app()'`) or a dict."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

DEFAULT_SIGNING_KEY = "instance/access-service-signing-key.pem"
TOKEN_KEY_AUTH = ("none", "basic")


def _int_or_none(value: str | None) -> int | None:
    """An optional positive number of seconds."""
    if value in (None, ""):
        return None
    seconds = int(value)
    if seconds <= 0:
        raise ValueError(f"a validity must be a positive number of seconds, not {value}")
    return seconds


def load_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The emulator's settings: environment variables first, then overrides on top."""
    env = os.environ
    settings: dict[str, Any] = {
        "DATA_FILE": env.get("ACCESS_SERVICE_DATA") or None,
        "SIGNING_KEY_FILE": env.get("ACCESS_SERVICE_SIGNING_KEY") or DEFAULT_SIGNING_KEY,
        "ACCESS_TOKEN_VALIDITY": _int_or_none(env.get("ACCESS_SERVICE_ACCESS_TOKEN_VALIDITY")),
        "REFRESH_TOKEN_VALIDITY": _int_or_none(env.get("ACCESS_SERVICE_REFRESH_TOKEN_VALIDITY")),
        # "per-grant" (a new token for every grant) or "shared" (Spring with a token store).
        "TOKEN_STORE": env.get("ACCESS_SERVICE_TOKEN_STORE") or "per-grant",
        # "none" (anyone may read the key) or "basic" (HTTP Basic client credentials required).
        "TOKEN_KEY_AUTH": env.get("ACCESS_SERVICE_TOKEN_KEY_AUTH") or "none",
        # "spring" (expires_in and scope, as a real 2.4.0 server) or "document" (its four keys).
        "TOKEN_RESPONSE": env.get("ACCESS_SERVICE_TOKEN_RESPONSE") or "spring",
        "REDIS_URL": env.get("REDIS_URL") or None,
        # No default on purpose: without it the secret is derived from the signing key.
        "SECRET_KEY": env.get("ACCESS_SERVICE_SECRET_KEY") or None,
    }
    settings.update(overrides or {})
    if settings["TOKEN_KEY_AUTH"] not in TOKEN_KEY_AUTH:
        raise ValueError(f"token key auth must be one of {TOKEN_KEY_AUTH}")
    return settings
