"""A token set as few bytes as it takes, before it is sealed (sealing.py encrypts the result).

The access token is most of a session, and it must reach the platform byte for byte, so what is
packed is the token itself, in a form that compresses:
- a JWT as its three decoded parts: base64 hides the JSON's redundancy from the compressor;
- a refresh token or `jti` that is a UUID (the platform's are) as its 16 bytes, not 36 characters;
- the fields as a msgpack array (no field names), `token_type` left out (it is always bearer);
- raw deflate (no zlib header) primed with DICTIONARY: the claim names and prefixes every Spring
  JWT repeats, so even the first occurrence of each costs a back-reference.
Anything that would not come back exactly (a token that is not clean base64url, a UUID in upper
case) is kept as it is.
"""

from __future__ import annotations

import base64
import binascii
import uuid
import zlib

import msgspec

from app.cocoon.tokens import TokenSet

# Part of the stored format: sets packed with it must always unpack, so it never changes; a new
# dictionary needs a new seal version (sealing.py) that keeps this one for older sets.
DICTIONARY = (
    b'{"alg":"RS256","typ":"JWT","kid":""}{"aud":[""],"iss":"","sub":"","iat":1700000000,'
    b'"nbf":1700000000,"exp":1700000000,"user_name":"","authorities":["ROLE_USER","ROLE_ADMIN",'
    b'"PERM_"],"jti":"","client_id":"","scope":["SCOPE_","openid","read","write"]}'
)
WBITS = -15  # raw deflate, 32 kB window
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(list)


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(part: bytes) -> str:
    return base64.urlsafe_b64encode(part).rstrip(b"=").decode()


def pack_jwt(token: str) -> str | list[bytes]:
    """A JWT as its three decoded parts, or the token as it is when it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return token
    try:
        raw = [_b64decode(part) for part in parts]
    except (ValueError, binascii.Error):
        return token
    return raw if unpack_jwt(raw) == token else token  # only when it round-trips exactly


def unpack_jwt(packed: str | list[bytes]) -> str:
    """The inverse of pack_jwt."""
    if isinstance(packed, str):
        return packed
    return ".".join(_b64encode(part) for part in packed)


def _pack_text(text: str | None) -> str | bytes | None:
    """A UUID in its canonical (lower-case) spelling as its 16 bytes; any other text as it is."""
    if text is None or len(text) != 36:
        return text
    try:
        value = uuid.UUID(text)
    except ValueError:
        return text
    return value.bytes if str(value) == text else text


def _unpack_text(packed: str | bytes | None) -> str | None:
    return str(uuid.UUID(bytes=packed)) if isinstance(packed, bytes) else packed


def pack(tokens: TokenSet) -> bytes:
    """tokens as compressed bytes, ready to be sealed."""
    fields = [
        pack_jwt(tokens.access_token),
        _pack_text(tokens.refresh_token),
        tokens.obtained_at,
        tokens.expires_at,
        _pack_text(tokens.jti),
        tokens.scope,
    ]
    compressor = zlib.compressobj(9, zlib.DEFLATED, WBITS, zdict=DICTIONARY)
    return compressor.compress(_encoder.encode(fields)) + compressor.flush()


def unpack(packed: bytes) -> TokenSet:
    """The inverse of pack. Raises zlib.error, msgspec.DecodeError, ValueError or TypeError
    for bytes pack did not make."""
    decompressor = zlib.decompressobj(WBITS, zdict=DICTIONARY)
    data = decompressor.decompress(packed) + decompressor.flush()
    access_token, refresh_token, obtained_at, expires_at, jti, scope = _decoder.decode(data)
    return TokenSet.from_dict(
        {
            "access_token": unpack_jwt(access_token),
            "refresh_token": _unpack_text(refresh_token),
            "obtained_at": obtained_at,
            "expires_at": expires_at,
            "jti": _unpack_text(jti),
            "scope": scope,
        }
    )
