"""What every template gets: who is signed in, the links, and csrf_token(); and the cache of
rendered pages (render_cached).

A signed-in page such as /profile is read far more often than what it shows changes, and
rendering it took a third of its CPU. render_cached keeps each page it renders, by everything
the page is made from: the template, the values the view passes, and what every template gets
(who is signed in, the session's CSRF secret, which decides the token in its forms, and the
mount point, which decides the links). The templates read nothing else (no `request`,
`session`, `g` or `config`: tests/integration/test_rendered_pages.py checks), so a page found
under the same inputs is the page that rendering would give. A value that changes (a refreshed
token's expiry, a new greeting) is a new key; unused entries go first (RENDERED_PAGES per
worker).
"""

from __future__ import annotations

from collections.abc import Hashable
from functools import lru_cache
from typing import NamedTuple

from flask import Flask, current_app, render_template, request, session, url_for
from flask_wtf.csrf import generate_csrf

from app.sessions.tokens import signed_in_user
from app.web.security import CSRF_FIELD


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


@lru_cache(maxsize=4096)
def _signed_token(secret: str, secret_key: str) -> str:
    """generate_csrf()'s token for the session's `secret`, signed with `secret_key`."""
    return generate_csrf()


def csrf_token() -> str:
    """flask-wtf's CSRF token for this session's secret, signed once per secret and worker
    rather than on every page: a token lasts as long as its secret (WTF_CSRF_TIME_LIMIT is
    None), which is renewed at every sign-in, so every token signed for it stays valid."""
    secret = session.get(CSRF_FIELD)
    if secret is None:  # none drawn yet: flask-wtf draws it (and the session is saved)
        return generate_csrf()
    return _signed_token(secret, current_app.config["SECRET_KEY"])


def template_globals() -> dict:
    """current_user (None when signed out), links, csrf_token (in place of flask-wtf's own:
    this context processor is registered after flask-wtf's) and retry_url (None: only an outage
    page, app/web/errors.py, passes one, and base.html then shows no Sign in or Sign out)."""
    return {
        "current_user": signed_in_user(),
        "links": _links(request.script_root),
        "csrf_token": csrf_token,
        "retry_url": None,
    }


RENDERED_PAGES = 1024  # pages each worker keeps (about 5 kB each)


@lru_cache(maxsize=RENDERED_PAGES)
def rendered_page(
    template: str, context: tuple[tuple[str, Hashable], ...], standing: tuple[Hashable, ...]
) -> str:
    """The page render_cached keeps under these inputs (`standing` only keys it: the context
    processors give the same values while rendering)."""
    return render_template(template, **dict(context))


def render_cached(template: str, **context: Hashable) -> str:
    """render_template(template, **context), from this worker's cache when the same page was
    rendered before for the same session standing (see the module's docstring). Raises
    TypeError when a value is not hashable.

    A session without a CSRF secret yet is rendered each time: drawing one changes the session,
    and its token must never be served to another."""
    secret = session.get(CSRF_FIELD)
    if secret is None:
        return render_template(template, **context)
    standing = (signed_in_user(), secret, current_app.config["SECRET_KEY"], request.script_root)
    return rendered_page(template, tuple(sorted(context.items())), standing)


def init_app(app: Flask) -> None:
    app.context_processor(template_globals)
