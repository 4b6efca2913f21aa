"""Tokens at rest: sealed with AES-GCM, several keys for rotation, tampering detected."""

import os

import pytest

from app.cocoon.sealing import SealError, TokenSealer, derive_key
from app.cocoon.tokens import TokenSet
from tests.support.tokens import token_response

NOW = 1_800_000_000.0


@pytest.fixture()
def tokens() -> TokenSet:
    return TokenSet.from_response(token_response(NOW + 60, refresh_token="refresh-xyz"), NOW)


def test_seal_and_open_round_trip_reveals_nothing(tokens):
    sealer = TokenSealer([os.urandom(32)])
    sealed = sealer.seal(tokens)
    assert sealer.open(sealed) == tokens
    assert tokens.access_token.encode()[:40] not in sealed
    assert b"refresh-xyz" not in sealed
    assert b"alex.originator" not in sealed


def test_a_platform_sized_token_seals_to_well_under_its_size():
    # The document's token carries ~40 authorities and ~38 scopes: about 2.8 kB.
    body = token_response(
        NOW + 60,
        authorities=[f"PERM_THING_{i}" for i in range(40)],
        scope=[f"SCOPE_THING_{i}" for i in range(38)],
    )
    tokens = TokenSet.from_response(body, NOW)
    sealed = TokenSealer([os.urandom(32)]).seal(tokens)
    assert len(tokens.access_token) > 1500
    assert len(sealed) < 0.6 * (len(tokens.access_token) + len(tokens.refresh_token))


def test_a_token_that_is_not_base64_clean_survives(tokens):
    sealer = TokenSealer([os.urandom(32)])
    for odd in ("a.b.c", "x.y", "eyJ.eyJ.!!", "opaque"):
        odd_tokens = TokenSet(access_token=odd, refresh_token="r")
        assert sealer.open(sealer.seal(odd_tokens)) == odd_tokens


def test_rotation_old_key_still_opens_new_key_seals(tokens):
    old, new = os.urandom(32), os.urandom(32)
    sealed_with_old = TokenSealer([old]).seal(tokens)
    rotated = TokenSealer([new, old])
    assert rotated.open(sealed_with_old) == tokens
    assert TokenSealer([new]).open(rotated.seal(tokens)) == tokens
    with pytest.raises(SealError):
        TokenSealer([new]).open(sealed_with_old)


def test_tampering_is_detected(tokens):
    sealer = TokenSealer([os.urandom(32)])
    sealed = bytearray(sealer.seal(tokens))
    sealed[-1] ^= 1
    with pytest.raises(SealError):
        sealer.open(bytes(sealed))
    with pytest.raises(SealError):
        sealer.open(b"garbage")


def test_derived_key_is_stable_and_32_bytes():
    assert derive_key("s" * 40) == derive_key("s" * 40)
    assert len(derive_key("s" * 40)) == 32
    assert derive_key("a" * 40) != derive_key("b" * 40)
