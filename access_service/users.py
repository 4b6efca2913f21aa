"""Users as Spring loads and checks them, plus the lockout that stops password and code guessing.

`Users` plays Spring's `UserDetailsService` (loaded from the data file at every use, so a changed
user takes effect at once) with `AccountStatusUserDetailsChecker`'s checks, and counts failed
sign-ins in the store so every worker sees the same count.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .data import DUMMY_HASH, Directory, DirectoryFile, User, verify_secret
from .store import Store

# Consecutive failed passwords or authenticator codes that lock an account, and for how long
# (seconds). An online guess of a 6-digit code then takes years instead of hours.
MAX_FAILED_SIGN_INS = 5
LOCKOUT_SECONDS = 900


class UserNotFound(Exception):
    """No such user (`UsernameNotFoundException`; the message is `JdbcDaoImpl`'s)."""


class AccountStatusError(Exception):
    """A user who may not sign in now (`AccountStatusException`): locked or disabled."""


class Users:
    """Loads users, checks their status and passwords, and locks accounts after failures."""

    def __init__(self, source: DirectoryFile, store: Store, clock: Callable[[], float] = time.time):
        self.source = source
        self.store = store
        self.clock = clock

    @property
    def directory(self) -> Directory:
        """Clients and users as the data file holds them now."""
        return self.source.current()

    def load(self, username: str) -> User:
        """The user called username; raises UserNotFound."""
        user = self.directory.user(username)
        if user is None:
            raise UserNotFound(f"Username {username} not found")
        return user

    def check_status(self, user: User) -> None:
        """Raise AccountStatusError for a locked or disabled user, in Spring's order and words
        (`AbstractUserDetailsAuthenticationProvider.DefaultPreAuthenticationChecks`)."""
        if self.is_locked(user.username):
            raise AccountStatusError("User account is locked")
        if not user.enabled:
            raise AccountStatusError("User is disabled")

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when password is theirs, else None (and a failure counted); raises
        AccountStatusError before the password is even checked, as Spring does."""
        user = self.directory.user(username)
        if user is not None:
            self.check_status(user)
        # A dummy hash for unknown users too, so timing does not reveal who has an account.
        if not verify_secret(user.password_hash if user else DUMMY_HASH, password) or user is None:
            if user is not None:
                self.failed(user.username)
            return None
        return user

    def is_locked(self, username: str) -> bool:
        """Whether the account is locked after too many failures."""
        return self.store.get(f"locked:{username}") is not None

    def failed(self, username: str) -> bool:
        """Count a wrong password or code; True when this failure locked the account."""

        def add(record: dict | None) -> dict:
            return {"count": (record or {}).get("count", 0) + 1}

        record = self.store.update(f"sign-in-failures:{username}", add, LOCKOUT_SECONDS)
        count = (record or {}).get("count", 0)
        if count < MAX_FAILED_SIGN_INS:
            return False
        self.store.put(f"locked:{username}", {"since": self.clock()}, LOCKOUT_SECONDS)
        self.store.delete(f"sign-in-failures:{username}")
        return True

    def succeeded(self, username: str) -> None:
        """A complete sign-in: the failures so far no longer count."""
        self.store.delete(f"sign-in-failures:{username}")
