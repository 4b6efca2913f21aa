"""The emulator's collaborators, made once per app and reached from views through `services()`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .data import Directory
from .keys import Signer
from .store import Store
from .tokens import TokenServices

EXTENSION_NAME = "access_service"


@dataclass
class Services:
    """Clients and users, the state store, the signing key and the token services."""

    directory: Directory
    store: Store
    signer: Signer
    tokens: TokenServices


def services() -> Services:
    """The current app's services."""
    return current_app.extensions[EXTENSION_NAME]
