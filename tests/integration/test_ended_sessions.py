"""Pages met by a session the platform has ended, and the outage page's own link: what the
review of this release found (each failed before its fix)."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote_to_bytes

import msgspec
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from app import create_app
from app.web import errors
from config import Settings
from tests.integration.test_sign_in import session_keys
from tests.support.pages import SESSION_COOKIE
from tests.support.processes import free_port


def test_home_after_the_platform_ended_the_session_is_signed_out_and_keeps_nothing(
    auth, client, redis_client
):
    auth.login()
    [key] = session_keys(redis_client)
    grant = msgspec.msgpack.decode(redis_client.get(key))["grant"]
    redis_client.delete(f"portal:grant:{grant}")  # ended: a retired key, another browser's end
    page = client.get("/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "You are signed in" not in text and 'href="/login' in text
    assert session_keys(redis_client) == []  # no session without a user or a grant is left


def test_the_outage_page_of_a_query_that_is_not_utf8_links_to_the_same_bytes(environ, clock):
    environ = {**environ, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    client = create_app(Settings.from_env(environ), clock=clock, testing=True).test_client()
    client.set_cookie(SESSION_COOKIE, "D" * 22)  # a session id: read from the dead Redis
    # WSGI's QUERY_STRING holds the request's bytes as latin-1 characters (PEP 3333)
    page = client.get("/profile", environ_overrides={"QUERY_STRING": "a=\xff&b=\xc3\xa9&c=<x>"})
    assert page.status_code == 503
    link = re.search(r'<a class="button" href="([^"]*)">Try again', page.get_data(as_text=True))
    assert link is not None
    assert html.unescape(link.group(1)) == "/profile?a=%FF&b=%C3%A9&c=%3Cx%3E"


@settings(max_examples=200)
@given(query=st.binary(max_size=40))
def test_the_retry_link_asks_for_the_bytes_the_page_was_asked_with(query):
    environ = {"QUERY_STRING": query.decode("latin-1")}
    with Flask(__name__).test_request_context("/profile", environ_overrides=environ):
        link = errors.this_page()
    path, _, kept = link.partition("?")
    assert path == "/profile"
    assert kept.isascii() and not any(c in kept for c in ' "<>\\^`{|}')
    assert unquote_to_bytes(kept) == unquote_to_bytes(query)
