"""The emulator's collaborators, made once per app and reached from views through `components()`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from .accounts import Accounts
from .approvals import Approvals
from .contacts import Contacts
from .data import Directory
from .keys import Signer
from .store import Store
from .tokens import TokenServices
from .users import Users

EXTENSION_NAME = "access_service"


@dataclass
class Components:
    """Users and clients, the state store, the signing key, tokens, approvals, accounts and
    address books."""

    users: Users
    store: Store
    signer: Signer
    tokens: TokenServices
    approvals: Approvals
    accounts: Accounts
    contacts: Contacts
    clock: Callable[[], float] = field(default=time.time)

    @property
    def directory(self) -> Directory:
        """Clients and users as the data file holds them now."""
        return self.users.directory


def components() -> Components:
    """The current app's components."""
    return current_app.extensions[EXTENSION_NAME]
