"""Tokens at rest: sealed with AES-GCM, several keys for rotation, tampering detected."""

import base64
import dataclasses
import json
import os
import uuid
import zlib

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.cocoon.packing import DICTIONARY, pack, pack_jwt, unpack
from app.cocoon.sealing import ASSOCIATED_DATA, VERSION, SealError, TokenSealer, derive_key
from app.cocoon.tokens import TokenSet
from tests.support.tokens import seal_like_the_previous_release, token_response

NOW = 1_800_000_000.0


@pytest.fixture()
def tokens() -> TokenSet:
    return TokenSet.from_response(token_response(NOW + 60, refresh_token="refresh-xyz"), NOW)


def test_seal_and_open_round_trip(tokens):
    sealer = TokenSealer([os.urandom(32)])
    assert sealer.open(sealer.seal(tokens)) == tokens


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


def test_a_set_sealed_by_the_previous_release_still_opens(tokens):
    key = os.urandom(32)
    old = seal_like_the_previous_release(key, tokens)
    sealer = TokenSealer([key])
    assert sealer.open(old) == tokens
    assert sealer.seal(tokens)[:1] == b"\x02"
    assert len(sealer.seal(tokens)) < len(old)
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


# What a careless store might keep a token in, instead of sealing it: any of these, of any part
# of a token, found in the sealed bytes (or in anything they inflate to) is a leak.
LEAK = 8  # bytes: a shorter run can turn up in random bytes; any longer one contains one of 8


def secrets_of(tokens: TokenSet) -> list[bytes]:
    """Every part of a token set worth hiding: each token as it is, a JWT's decoded parts and
    each claim value, and the 16 bytes of a token that is a UUID."""
    texts = [tokens.access_token, tokens.refresh_token, tokens.jti]
    found = [text.encode() for text in texts if text]
    for text in filter(None, texts):
        try:
            found.append(uuid.UUID(text).bytes)
        except ValueError:
            pass
    packed = pack_jwt(tokens.access_token)
    if isinstance(packed, list):
        found += packed
        found += [value.encode() for value in claim_texts(json.loads(packed[1]))]
    return found


def claim_texts(value) -> list[str]:
    """The strings inside a decoded JSON value, its keys left out."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in claim_texts(item)]
    return [str(value)]


def encodings(secret: bytes) -> list[bytes]:
    """secret as it is, in hex, and in base64 (standard and URL-safe, at each of the three
    alignments, so every substring's own base64 is a substring of one of them), and compressed."""
    found = [secret, secret.hex().encode(), secret.hex().upper().encode()]
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.append(encode(secret[shift:]).rstrip(b"="))
    found += [zlib.compress(secret, level) for level in (1, 6, 9)]
    return found


def runs(data: bytes) -> set[bytes]:
    """Every LEAK-byte run of data."""
    return {data[i : i + LEAK] for i in range(len(data) - LEAK + 1)}


def inflations(data: bytes) -> list[bytes]:
    """Whatever raw deflate, zlib or gzip (with packing's dictionary or none) inflates from any
    offset of data."""
    found = []
    for start in range(len(data)):
        for wbits, zdict in ((-15, DICTIONARY), (-15, b""), (15, b""), (31, b"")):
            options = {"zdict": zdict} if zdict else {}
            try:
                out = zlib.decompressobj(wbits, **options).decompress(data[start:])
            except zlib.error:
                continue
            if len(out) >= LEAK:
                found.append(out)
    return found


def platform_sized() -> TokenSet:
    body = token_response(
        NOW + 60,
        refresh_token="38ae1923-c300-49f8-8a3c-a9ec31bc3b49",
        authorities=[f"PERM_FILE_THING_NUMBER_{i}" for i in range(38)] + ["ROLE_ORIGINATOR"],
        scope=[f"SCOPE_THING_{i}" for i in range(37)],
    )
    return TokenSet.from_response(body, NOW)


SHAPES = pytest.mark.parametrize(
    "tokens",
    [
        TokenSet.from_response(token_response(NOW + 60, refresh_token="refresh-token-xyz"), NOW),
        platform_sized(),
        TokenSet(access_token="an-opaque-access-token-0123456789", refresh_token="opaque-refresh"),
    ],
    ids=["jwt", "platform-sized", "opaque"],
)


@SHAPES
def test_sealed_bytes_open_only_with_the_key(tokens):
    key, other = os.urandom(32), os.urandom(32)
    sealer = TokenSealer([key])
    sealed = sealer.seal(tokens)
    assert sealer.open(sealed) == tokens
    with pytest.raises(SealError):
        TokenSealer([other]).open(sealed)
    # The layout seal() documents, opened with AES-GCM itself: the key opens the body, another
    # key (even one that claimed the same key id) does not, and every seal has its own nonce.
    version, nonce, body = sealed[:1], sealed[5:17], sealed[17:]
    assert unpack(AESGCM(key).decrypt(nonce, body, ASSOCIATED_DATA[version])) == tokens
    with pytest.raises(InvalidTag):
        AESGCM(other).decrypt(nonce, body, ASSOCIATED_DATA[version])
    assert sealer.seal(tokens)[5:17] != nonce


def leaks(tokens: TokenSet) -> set[bytes]:
    """Every LEAK-byte run of every encoding of every secret of tokens."""
    found = set().union(*(runs(form) for s in secrets_of(tokens) for form in encodings(s)))
    # Random bytes inflated with the dictionary copy from it: its claim names are no secret.
    return found - runs(DICTIONARY)


def leaked(tokens: TokenSet, stored: bytes) -> set[bytes]:
    """The runs of a token in stored bytes, or in anything they inflate to."""
    wanted = leaks(tokens)
    assert len(wanted) > 100  # the search has something to find
    return set().union(*(runs(data) & wanted for data in [stored, *inflations(stored)]))


@SHAPES
def test_no_part_of_a_token_survives_sealing_in_any_encoding(tokens):
    found = leaked(tokens, TokenSealer([os.urandom(32)]).seal(tokens))
    assert not found, f"{len(found)} runs of a token in what is stored, e.g. {min(found)!r}"


@SHAPES
def test_the_leak_search_finds_a_token_packed_but_not_sealed(tokens):
    """The search above can fail: packing alone compresses a token past substring searches."""
    assert leaked(tokens, VERSION + os.urandom(16) + pack(tokens))
    assert leaked(tokens, zlib.compress(tokens.access_token.encode()))
    assert leaked(tokens, base64.b64encode(b"x" + tokens.access_token.encode()[5:40]))
