"""The RSA signing key: created once, kept on disk, and used to sign and verify access tokens."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

# Exactly the header of the platform's tokens: no `typ`, no `kid` (see the document's example).
JWT_HEADER = {"alg": "RS256"}


def load_or_create_key(path: str | Path) -> RSAKey:
    """Read the PEM private key at path, creating a 2048-bit one (mode 0600) on first use."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = RSAKey.generate_key(2048, private=True).as_pem(private=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".signing-key-")  # mkstemp: mode 0600
        try:
            with os.fdopen(fd, "wb") as tmp_file:
                tmp_file.write(pem)
            # link() refuses to overwrite: when several workers start at once, the first key wins
            # and everyone reads that one, so they all sign with the same key.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return RSAKey.import_key(path.read_bytes())


class Signer:
    """Signs access tokens as the platform does (RS256 JWTs) and verifies them again."""

    def __init__(self, key: RSAKey) -> None:
        self.key = key
        self.kid = key.thumbprint()

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact RS256 JWS of claims, keeping their order."""
        payload = json.dumps(claims, separators=(",", ":")).encode()
        return jws.serialize_compact(JWT_HEADER, payload, self.key)

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this key signed, or None (expiry is the caller's business)."""
        try:
            payload = jws.deserialize_compact(token, self.key, algorithms=["RS256"]).payload
            claims = json.loads(payload)
        except (JoseError, ValueError):
            return None
        return claims if isinstance(claims, dict) else None

    def public_pem(self) -> str:
        """The public key as PEM, without a trailing newline (Spring's `token_key` value)."""
        return self.key.as_pem(private=False).decode().strip()

    def jwks(self) -> dict[str, Any]:
        """The public key as an RFC 7517 JWK set."""
        jwk = self.key.as_dict(private=False, kid=self.kid, use="sig", alg="RS256")
        return {"keys": [jwk]}

    def derived_secret(self, purpose: str) -> str:
        """A secret derived from the private key, the same in every worker that reads it."""
        private = self.key.as_pem(private=True)
        return hmac.new(private, purpose.encode(), hashlib.sha256).hexdigest()
