"""What every template gets: who is signed in and the links (flask-wtf adds csrf_token())."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from flask import Flask, request, url_for

from app.auth.session_tokens import signed_in_user


class Links(NamedTuple):
    """The portal's own URLs, as the templates link to them."""

    stylesheet: str
    icon: str
    home: str
    profile: str
    sign_in: str
    sign_out: str
    account: str
    notifications: str
    applications: str
    sessions: str


@lru_cache(maxsize=64)
def _links(script_root: str) -> Links:
    # Built once per mount point (SCRIPT_NAME) rather than with url_for calls on every
    # page: internal URLs are the mount point plus the route, whatever the request.
    return Links(
        stylesheet=url_for("static", filename="portal.css"),
        icon=url_for("pages.favicon"),
        home=url_for("pages.index"),
        profile=url_for("pages.profile"),
        sign_in=url_for("auth.login"),
        sign_out=url_for("auth.logout"),
        account=url_for("account.details"),
        notifications=url_for("account.notifications"),
        applications=url_for("account.applications"),
        sessions=url_for("account.sessions"),
    )


def template_globals() -> dict:
    """current_user (None when signed out) and links. (csrf_token() comes from flask-wtf.)"""
    return {
        "current_user": signed_in_user(),
        "links": _links(request.script_root),
    }


def init_app(app: Flask) -> None:
    app.context_processor(template_globals)
