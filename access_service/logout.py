"""Signing out of the access service: its own page's button, and a client's sign-out request.

`GET /logout?client_id=...&post_logout_redirect_uri=...&state=...` follows OpenID Connect
RP-Initiated Logout 1.0: the browser's sign-in session here ends, then the browser goes back to
`post_logout_redirect_uri` (with `state`) only when that URI is registered for the client, matched
exactly as redirect URIs are. Anything else gets an error page and no redirect: an open
redirector would let any link that looks like ours send people to a phishing page.

The GET needs no CSRF token (a client's page sends the browser here): a forged link can only sign
someone out here, never sign anyone in or send them anywhere unregistered.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .errors import NO_STORE, error_page
from .extensions import components
from .forms import SignOutForm
from .signin import sign_out

bp = Blueprint("logout", __name__)


@bp.post("/logout")
def sign_out_button() -> Response:
    """The Sign out button of the emulator's own page (with its CSRF token)."""
    if SignOutForm().validate_on_submit():
        sign_out()
    return redirect(url_for("signin.index"), 303)


@bp.get("/logout")
def end_session() -> Response | tuple[str, int, dict[str, str]]:
    """End the sign-in session, then go back to the client's registered post-logout URI.

    Parameters: `client_id`, `post_logout_redirect_uri` (needs `client_id`), `state` (echoed
    only with a valid URI). No URI: the emulator's own "signed out" page. An unknown client or
    an unregistered URI: 400 error page (the session still ends: the person asked to leave).
    """
    sign_out()
    client_id = request.args.get("client_id")
    uri = request.args.get("post_logout_redirect_uri")
    client = components().directory.client(client_id) if client_id else None
    if client_id is not None and client is None:
        return (
            *error_page("invalid_client", f"No client with requested id: {client_id}"),
            NO_STORE,
        )
    if uri is None:
        return render_template("signed_out.html"), 200, NO_STORE
    if client is None:
        return (
            *error_page(
                "invalid_request", "A client_id must be given with post_logout_redirect_uri."
            ),
            NO_STORE,
        )
    if client.resolve_post_logout_redirect(uri) is None:
        description = f"Invalid post_logout_redirect_uri: {uri} is not registered for this client."
        return (*error_page("invalid_request", description), NO_STORE)
    state = request.args.get("state")
    if state is None:
        return _no_store(redirect(uri, 303))
    query = urlencode({"state": state}, quote_via=quote)
    return _no_store(redirect(f"{uri}{'&' if '?' in uri else '?'}{query}", 303))


def _no_store(response: Response) -> Response:
    """A sign-out answer no cache may keep (it is per browser)."""
    response.headers.update(NO_STORE)
    return response
