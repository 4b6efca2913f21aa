"""Reading the portal's pages in tests: the sign-out form's CSRF token, the session cookie."""

from __future__ import annotations

import re

SESSION_COOKIE = "portal_session"  # the development cookie name (app/__init__.py)


def csrf_token(client) -> str:
    """The CSRF token of the sign-out form on the home page (a Flask test client)."""
    html = client.get("/").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no sign-out form on the home page: not signed in?"
    return match.group(1)


def session_id(client) -> str:
    """The session id the browser holds (a Flask test client)."""
    return client.get_cookie(SESSION_COOKIE).value


def page_csrf_token(client, path: str) -> str:
    """The CSRF token of the forms on the page at path (a Flask test client)."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no form on {path}: not signed in?"
    return match.group(1)
