"""Clients and users: Spring's client details and user details, loaded from a JSON file."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import msgspec
from werkzeug.security import check_password_hash, generate_password_hash

DEMO_DATA = Path(__file__).with_name("demo_data.json")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
log = logging.getLogger(__name__)


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
    # Accept a registered loopback redirect URI on any port (docs/emulator.md, "The loopback rule").
    loopback_redirect_any_port: bool = False
    # Where GET /logout may send the browser back to (OpenID Connect RP-Initiated Logout 1.0's
    # client metadata of the same name).
    post_logout_redirect_uris: list[str] = []
    # True: an approval given on the approval page is remembered until withdrawn or expired, as
    # Spring's `ApprovalStoreUserApprovalHandler` does; False: the page is shown every time.
    remember_approvals: bool = False
    # Shown as `clientDescription` in the user's list of approved applications.
    description: str = ""

    def allows(self, grant_type: str) -> bool:
        """Whether this client may use grant_type."""
        return grant_type in self.authorized_grant_types

    def resolve_post_logout_redirect(self, requested: str) -> str | None:
        """requested when it is one of this client's post-logout URIs (exactly, or by the loopback
        rule), else None: the same rules as redirect URIs."""
        return requested if self._registered(requested, self.post_logout_redirect_uris) else None

    def _registered(self, requested: str, registered: list[str]) -> bool:
        """requested is one of registered exactly, or by the loopback rule where it applies."""
        return requested in registered or (
            self.loopback_redirect_any_port
            and any(_same_loopback_uri_but_port(requested, uri) for uri in registered)
        )

    def resolve_redirect(self, requested: str | None) -> str | None:
        """The redirect URI to use for requested, or None when it is not registered."""
        if requested is None:
            # Spring falls back to the only registered URI when the request names none.
            if len(self.registered_redirect_uris) == 1:
                return self.registered_redirect_uris[0]
            return None
        return requested if self._registered(requested, self.registered_redirect_uris) else None


class User(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A platform user account: Spring's `UserDetails` plus the account the user API shows."""

    username: str  # the email address
    password_hash: str
    authorities: list[str] = []
    enabled: bool = True  # False: refused at sign-in, password grant and refresh
    # Two-factor sign-in: the RFC 6238 secret (base32) the user's authenticator app holds.
    mfa_enabled: bool = False
    totp_secret: str | None = None
    # The account as `GET /api/v1/users/me` first shows it (its changes live in the store).
    id: str = ""
    external_user_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    other_name: str | None = None
    mobile_number: str | None = None
    email_notifications: str = "ITEM"  # ITEM, DAILY or WEEKLY


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
        # A dummy hash for unknown clients too, so timing does not reveal which ones exist.
        stored = client.client_secret_hash if client else DUMMY_HASH
        return client if verify_secret(stored, secret) and client else None


def load_directory(path: str | Path | None = None) -> Directory:
    """Read a data file (the built-in demo data when path is None)."""
    raw = Path(path or DEMO_DATA).read_bytes()
    return msgspec.json.decode(raw, type=Directory)


class DirectoryFile:
    """A data file read again whenever it changes on disk, so an edited user (new authorities,
    disabled, deleted) takes effect at the next sign-in or refresh without a restart, as a
    platform's user directory changes under a running server. A file that fails to parse (an
    editor half-way through saving) is logged and the previous contents kept."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or DEMO_DATA)
        self._lock = threading.Lock()
        self._seen = self._signature()
        self._directory = load_directory(self.path)

    def current(self) -> Directory:
        """The directory as the file holds it now."""
        signature = self._signature()
        if signature != self._seen:
            with self._lock:
                if signature != self._seen:
                    self._seen = signature
                    try:
                        self._directory = load_directory(self.path)
                    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
                        log.warning("keeping the previous data: %s: %s", self.path, exc)
        return self._directory

    def _signature(self) -> tuple[int, int]:
        """The file's modification time (ns) and size: a change in either means a new file."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return (0, 0)
        return (stat.st_mtime_ns, stat.st_size)


def hash_secret(secret: str) -> str:
    """A werkzeug hash of a password or client secret, for the data file."""
    return generate_password_hash(secret)


DUMMY_HASH = hash_secret("not-a-real-secret")
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
    # urlsplit silently drops tabs and line breaks (bpo-43882): `/signed-\nout` would match
    # `/signed-out`, and the newline would then reach the Location header. Refuse them first.
    if any(char.isspace() or not char.isprintable() for char in requested):
        return False
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
