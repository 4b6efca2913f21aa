"""What every template gets: who is signed in, the sign-out form's CSRF token, and the links."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from flask import Flask, request, url_for

from app.auth.session_tokens import signed_in_user
from app.security import csrf_token


class Links(NamedTuple):
    """The portal's own URLs, as the templates link to them."""

    stylesheet: str
    icon: str
    home: str
    profile: str
    sign_in: str
    sign_out: str


@lru_cache(maxsize=64)
def _links(script_root: str) -> Links:
    # Built once per mount point (SCRIPT_NAME) rather than with five url_for calls on every
    # page: internal URLs are the mount point plus the route, whatever the request.
    return Links(
        stylesheet=url_for("static", filename="portal.css"),
        icon=url_for("pages.favicon"),
        home=url_for("pages.index"),
        profile=url_for("pages.profile"),
        sign_in=url_for("auth.login"),
        sign_out=url_for("auth.logout"),
    )


def template_globals() -> dict:
    """current_user (None when signed out), csrf_token() (ours, in place of flask-wtf's) and
    links."""
    return {
        "current_user": signed_in_user(),
        "csrf_token": csrf_token,
        "links": _links(request.script_root),
    }


def init_app(app: Flask) -> None:
    app.context_processor(template_globals)
