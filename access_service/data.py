"""Clients and users: Spring's client details and user details, loaded from a JSON file."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
from werkzeug.security import check_password_hash, generate_password_hash

DEMO_DATA = Path(__file__).with_name("demo_data.json")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class Client(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A registered client application, with Spring's `ClientDetails` fields."""

    client_id: str
    client_secret_hash: str
    authorized_grant_types: list[str]
    registered_redirect_uris: list[str] = []
    scope: list[str] = []
    auto_approve: bool = False
    access_token_validity_seconds: int = 43_200
    refresh_token_validity_seconds: int = 2_592_000
    reuse_refresh_token: bool = True
    # Accept a registered loopback redirect URI on any port (see README, "The loopback rule").
    loopback_redirect_any_port: bool = False

    def allows(self, grant_type: str) -> bool:
        """Whether this client may use grant_type."""
        return grant_type in self.authorized_grant_types

    def resolve_redirect(self, requested: str | None) -> str | None:
        """The redirect URI to use for requested, or None when it is not registered."""
        if requested is None:
            # Spring falls back to the only registered URI when the request names none.
            if len(self.registered_redirect_uris) == 1:
                return self.registered_redirect_uris[0]
            return None
        if requested in self.registered_redirect_uris:
            return requested
        if self.loopback_redirect_any_port and any(
            _same_loopback_uri_but_port(requested, registered)
            for registered in self.registered_redirect_uris
        ):
            return requested
        return None


class User(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A platform user account: email address, password hash and granted authorities."""

    username: str
    password_hash: str
    authorities: list[str] = []


class Directory(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Everything a data file holds; looks clients and users up and checks their secrets."""

    clients: list[Client] = []
    users: list[User] = []

    def client(self, client_id: str | None) -> Client | None:
        """The client called client_id, if any."""
        return next((c for c in self.clients if c.client_id == client_id), None)

    def user(self, username: str | None) -> User | None:
        """The user called username, if any."""
        return next((u for u in self.users if u.username == username), None)

    def authenticate_client(self, client_id: str, secret: str) -> Client | None:
        """The client when secret is its secret, else None."""
        client = self.client(client_id)
        stored = client.client_secret_hash if client else _DUMMY_HASH
        return client if verify_secret(stored, secret) and client else None

    def authenticate_user(self, username: str, password: str) -> User | None:
        """The user when password is theirs, else None."""
        user = self.user(username)
        # Check a dummy hash for unknown users too, so timing does not reveal who has an account.
        stored = user.password_hash if user else _DUMMY_HASH
        return user if verify_secret(stored, password) and user else None


def load_directory(path: str | Path | None = None) -> Directory:
    """Read a data file (the built-in demo data when path is None)."""
    raw = Path(path or DEMO_DATA).read_bytes()
    return msgspec.json.decode(raw, type=Directory)


def hash_secret(secret: str) -> str:
    """A werkzeug hash of a password or client secret, for the data file."""
    return generate_password_hash(secret)


_DUMMY_HASH = hash_secret("not-a-real-secret")
# Successful checks, keyed by a digest of (hash, secret): scrypt takes ~100 ms by design and the
# same client secret arrives with every token request, so re-checking would only slow tests down.
# Failures are never cached, so guessing stays as slow as the hash makes it.
_verified: set[bytes] = set()


def verify_secret(stored_hash: str, secret: str) -> bool:
    """Whether secret matches stored_hash."""
    digest = hmac.new(stored_hash.encode(), secret.encode(), hashlib.sha256).digest()
    if digest in _verified:
        return True
    if not check_password_hash(stored_hash, secret):
        return False
    if len(_verified) < 1024:
        _verified.add(digest)
    return True


def _same_loopback_uri_but_port(requested: str, registered: str) -> bool:
    """RFC 8252 section 7.3: a loopback redirect URI matches whatever its port."""
    try:
        want, have = urlsplit(requested), urlsplit(registered)
        want_port, have_port = want.port, have.port
    except ValueError:
        return False
    return (
        want.scheme == have.scheme == "http"
        and want.hostname is not None
        and want.netloc.rsplit(":", 1)[0] in LOOPBACK_HOSTS
        and want.netloc.rsplit(":", 1)[0] == have.netloc.rsplit(":", 1)[0]
        and want_port is not None
        and have_port is not None
        and (want.path, want.query, want.fragment) == (have.path, have.query, have.fragment)
    )
