"""The one development environment the tests (and the benchmarks) give a portal."""

from __future__ import annotations

import base64
import os

DEMO_CLIENT = ("exampleClientApplication", "exampleClientApplicationSecret")


def portal_environment(redis_url: str, access_service_url: str, **overrides: str) -> dict[str, str]:
    """A complete development environment pointing at a Redis and an emulator; `overrides`
    change or add settings (an empty string leaves a setting unset)."""
    environ = {
        "PORTAL_ENV": "development",
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "TOKEN_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "REDIS_URL": redis_url,
        "COCOON_ACCESS_SERVICE_URL": access_service_url,
        "COCOON_CLIENT_ID": DEMO_CLIENT[0],
        "COCOON_CLIENT_SECRET": DEMO_CLIENT[1],
        "COCOON_REVOCATION_URL": access_service_url + "/api/oauth/revoke",
        "COCOON_TOKEN_KEY_URL": access_service_url + "/api/oauth/token_key",
        "COCOON_LOGOUT_URL": access_service_url + "/logout",
        "LOG_LEVEL": "INFO",
    }
    environ.update(overrides)
    return environ
