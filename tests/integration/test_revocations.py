"""Revocations beside the requests (app/cocoon/revocations.py), against a real endpoint that
hangs and a real port that refuses."""

from __future__ import annotations

import logging
import socket

import pytest

from app.cocoon.client import AccessServiceClient
from app.cocoon.revocations import Revocations
from tests.support.hung import TOKEN_WAIT, HungRevocation


def client_for(revocation_endpoint: str | None) -> AccessServiceClient:
    return AccessServiceClient(
        "client",
        "secret",
        "http://127.0.0.1:9/token",
        1.0,
        5.0,
        revocation_endpoint=revocation_endpoint,
    )


@pytest.fixture()
def hung():
    endpoint = HungRevocation()
    yield endpoint
    endpoint.close()


def test_revoke_returns_at_once_and_the_queue_is_bounded(hung, caplog):
    revocations = Revocations(client_for(hung.url), max_pending=3)
    assert [revocations.revoke(f"token-{n}") for n in range(5)] == [True] * 3 + [False] * 2
    assert "revocation dropped: 3 already waiting" in caplog.text
    assert not revocations.wait(0.01)  # still waiting on the platform
    hung.release.set()
    assert revocations.wait(TOKEN_WAIT)
    assert sorted(hung.tokens) == ["token-0", "token-1", "token-2"]
    assert "token-" not in caplog.text.replace("revocation dropped", "")


def test_a_refused_revocation_is_logged_without_its_token(caplog):
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    revocations = Revocations(client_for(f"http://127.0.0.1:{port}/revoke"))
    caplog.set_level(logging.WARNING)
    assert revocations.revoke("secret-refresh-token")
    assert revocations.wait(TOKEN_WAIT)
    assert "token revocation failed" in caplog.text
    assert "secret-refresh-token" not in caplog.text


def test_without_an_endpoint_nothing_is_queued():
    assert not Revocations(client_for(None)).revoke("token")
