"""The portal's collaborators, built once per app from its settings and kept on the app."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from redis import Redis

from app.cocoon.client import AccessServiceClient
from app.cocoon.keys import TokenVerifier
from app.cocoon.refresh import RefreshCoordinator
from app.cocoon.sealing import TokenSealer, derive_key
from app.cocoon.service import client_from_settings
from config import Settings


@dataclass
class CocoonServices:
    """What the views need to sign people in: settings, Redis, the access-service client."""

    settings: Settings
    redis: Redis
    client: AccessServiceClient
    sealer: TokenSealer
    refresher: RefreshCoordinator
    verifier: TokenVerifier | None
    clock: Callable[[], float] = time.time


def build_services(
    settings: Settings,
    redis: Redis,
    clock: Callable[[], float] = time.time,
) -> CocoonServices:
    """Wire the platform package's pieces together for one app."""
    client = client_from_settings(settings, clock)
    key_url = settings.jwks_url or settings.token_key_url
    verifier = None
    if key_url:
        timeout = (settings.http_connect_timeout, settings.http_read_timeout)
        verifier = TokenVerifier(key_url, jwks=bool(settings.jwks_url), timeout=timeout)
    keys = settings.token_encryption_keys or (derive_key(settings.secret_key),)
    return CocoonServices(
        settings=settings,
        redis=redis,
        client=client,
        sealer=TokenSealer(keys),
        refresher=RefreshCoordinator(
            redis, client, max_leeway=settings.refresh_leeway, clock=clock
        ),
        verifier=verifier,
        clock=clock,
    )


def services() -> CocoonServices:
    """The current app's services."""
    return current_app.extensions["cocoon"]
