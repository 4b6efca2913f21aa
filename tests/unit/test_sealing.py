"""Tokens at rest: sealed with AES-GCM, several keys for rotation, tampering detected."""

import dataclasses
import os

import pytest

from app.cocoon.sealing import SealError, TokenSealer, derive_key
from app.cocoon.tokens import TokenSet
from tests.support.tokens import seal_like_an_earlier_build, token_response

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


def test_a_set_sealed_by_an_earlier_development_build_is_refused(tokens):
    """Version 1 (earlier development builds) is no longer read: those sessions end at the
    upgrade, whichever version byte the set carries."""
    key = os.urandom(32)
    old = seal_like_an_earlier_build(key, tokens)
    sealer = TokenSealer([key])
    assert sealer.seal(tokens)[:1] == b"\x02"
    with pytest.raises(SealError):
        sealer.open(old)
    with pytest.raises(SealError):  # a version 1 body is not accepted as version 2
        sealer.open(b"\x02" + old[1:])


@pytest.mark.parametrize(
    ("refresh_token", "jti"),
    [
        ("38ae1923-c300-49f8-8a3c-a9ec31bc3b49", "c60c6eb0-d08f-4e8c-a3bb-47b4513ff662"),
        ("38AE1923-C300-49F8-8A3C-A9EC31BC3B49", "{c60c6eb0-d08f-4e8c-a3bb-47b4513ff66}"),
        ("not-a-uuid-but-exactly-36-characters", None),
        ("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "urn:uuid:1"),
        (None, None),
    ],
)
def test_uuids_pack_to_16_bytes_and_everything_else_comes_back_as_it_was(refresh_token, jti):
    tokens = TokenSet.from_response(token_response(NOW + 60), NOW)
    tokens = dataclasses.replace(tokens, refresh_token=refresh_token, jti=jti, scope="a b")
    sealer = TokenSealer([os.urandom(32)])
    assert sealer.open(sealer.seal(tokens)) == tokens


def test_the_platform_token_seals_to_well_under_half_its_size():
    """The emulator's demo token (the platform document's example: 38 authorities, 37 scopes,
    2,846 characters) with its UUID refresh token."""
    body = token_response(
        NOW + 60,
        refresh_token="38ae1923-c300-49f8-8a3c-a9ec31bc3b49",
        authorities=[f"PERM_FILE_THING_NUMBER_{i}" for i in range(38)] + ["ROLE_ORIGINATOR"],
        scope=[f"SCOPE_THING_{i}" for i in range(37)],
    )
    tokens = TokenSet.from_response(body, NOW)
    sealed = TokenSealer([os.urandom(32)]).seal(tokens)
    assert len(tokens.access_token) > 2000
    assert len(sealed) < 0.4 * (len(tokens.access_token) + len(tokens.refresh_token))
