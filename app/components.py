"""The portal's collaborators, built once per app from its settings and kept on the app."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from app.cocoon.client import AccessServiceClient
from app.cocoon.keys import TokenVerifier
from app.cocoon.refresh import RefreshCoordinator
from app.cocoon.sealing import TokenSealer, derive_key
from app.cocoon.summaries import AccountSummaries
from app.redis_client import RedisStore
from app.security import AddressAllowList
from config import Settings


@dataclass
class Components:
    """What the views need to sign people in: settings, Redis, the access-service client."""

    settings: Settings
    redis: RedisStore
    client: AccessServiceClient
    sealer: TokenSealer
    summaries: AccountSummaries
    refresher: RefreshCoordinator
    verifier: TokenVerifier | None
    metrics_scrapers: AddressAllowList
    clock: Callable[[], float] = time.time


def build_components(
    settings: Settings,
    redis: RedisStore,
    clock: Callable[[], float] = time.time,
) -> Components:
    """Wire the platform package's pieces together for one app."""
    client = AccessServiceClient.from_settings(settings, clock)
    key_url = settings.jwks_url or settings.token_key_url
    verifier = None
    if key_url:
        timeout = (settings.http_connect_timeout, settings.http_read_timeout)
        credentials = (settings.client_id, settings.client_secret)
        verifier = TokenVerifier(
            key_url,
            timeout,
            jwks=bool(settings.jwks_url),
            client_credentials=credentials if settings.token_key_auth == "basic" else None,
        )
    keys = settings.token_encryption_keys or (derive_key(settings.secret_key),)
    sealer = TokenSealer(keys)
    return Components(
        settings=settings,
        redis=redis,
        client=client,
        sealer=sealer,
        summaries=AccountSummaries(sealer),
        refresher=RefreshCoordinator(
            redis, client, max_leeway=settings.refresh_leeway, clock=clock
        ),
        verifier=verifier,
        metrics_scrapers=AddressAllowList(settings.metrics_allowed_ips),
        clock=clock,
    )


def components() -> Components:
    """The current app's services."""
    return current_app.extensions["portal"]
