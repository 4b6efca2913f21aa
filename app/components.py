"""The portal's collaborators, built once per app from its settings and kept on the app."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy

import requests
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from app.cocoon.client import AccessServiceClient
from app.cocoon.grants import Grants
from app.cocoon.keys import TokenVerifier
from app.cocoon.reachability import Reachability, host_and_port
from app.cocoon.refresh import RefreshCoordinator
from app.cocoon.revocations import Revocations
from app.cocoon.sealing import TokenSealer, derive_key
from app.cocoon.summaries import AccountSummaries
from app.redis_client import RedisStore
from app.sessions.store import SessionStore
from app.sessions.user_sessions import UserSessions
from app.web.rate_limits import RateLimit, storage
from app.web.security import AddressAllowList
from config import Settings


def derive(secret_key: str, purpose: bytes) -> bytes:
    """A 32-byte key for one purpose, derived from SECRET_KEY (HKDF-SHA256): the same on every
    instance, and none of them usable for another purpose."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())


def platform_http() -> requests.Session:
    """One HTTP session for the user API, shared by the threads (its connections are pooled):
    it keeps no cookie, so nothing one user's answer sets reaches another user's call."""
    http = requests.Session()
    http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return http


@dataclass
class Components:
    """What the views need: settings, Redis, the sessions' store, the access-service client, the
    grants, the user API's HTTP session, the sign-in rate limit, the revocations made beside the
    requests, and whether the platform's sign-in and sign-out pages (COCOON_LOGOUT_URL's; None
    without one) can be reached."""

    settings: Settings
    redis: RedisStore
    sessions: SessionStore
    client: AccessServiceClient
    sealer: TokenSealer
    summaries: AccountSummaries
    refresher: RefreshCoordinator
    verifier: TokenVerifier | None
    metrics_scrapers: AddressAllowList
    grants: Grants
    reference_key: bytes
    platform_http: requests.Session
    login_limit: RateLimit
    revocations: Revocations
    sign_in_pages: Reachability
    sign_out_pages: Reachability | None
    clock: Callable[[], float] = time.time

    def user_sessions(self) -> UserSessions:
        """The per-user index of the sessions."""
        return UserSessions(self.redis, self.sessions, self.reference_key)


def reachability(settings: Settings, url: str) -> Reachability:
    """Whether `url`'s host can be reached, asked at most once per PLATFORM_PROBE_INTERVAL."""
    return Reachability(
        url, interval=settings.platform_probe_interval, timeout=settings.http_connect_timeout
    )


def build_components(
    settings: Settings,
    redis: RedisStore,
    sessions: SessionStore,
    clock: Callable[[], float] = time.time,
) -> Components:
    """Wire the platform package's pieces together for one app (the grants share the sessions'
    worker cache)."""
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
    grants = Grants(
        redis,
        sealer,
        derive(settings.secret_key, b"cocoon-portal refresh token fingerprints"),
        ttl=settings.session_absolute_timeout,
        cache=sessions.cache,
        clock=clock,
    )
    # The portal reaches the platform under COCOON_BACKCHANNEL_URL when it is set (browsers
    # use another name, e.g. localhost through a proxy): probe the name the portal can reach.
    # A sign-out URL on the access-service's own host is that same platform.
    sign_in_pages = reachability(settings, settings.backchannel_url or settings.authorize_url)
    sign_out_pages = None
    if settings.logout_url:
        same_host = host_and_port(settings.logout_url) == host_and_port(settings.authorize_url)
        sign_out_pages = sign_in_pages if same_host else reachability(settings, settings.logout_url)
    return Components(
        settings=settings,
        redis=redis,
        sessions=sessions,
        client=client,
        sealer=sealer,
        summaries=AccountSummaries(sealer),
        refresher=RefreshCoordinator(
            redis, client, max_leeway=settings.refresh_leeway, clock=clock
        ),
        verifier=verifier,
        metrics_scrapers=AddressAllowList(settings.metrics_allowed_ips),
        grants=grants,
        reference_key=derive(settings.secret_key, b"cocoon-portal user session index"),
        platform_http=platform_http(),
        login_limit=RateLimit(settings.login_rate_limit, storage(settings), view="auth.login"),
        revocations=Revocations(client),
        sign_in_pages=sign_in_pages,
        sign_out_pages=sign_out_pages,
        clock=clock,
    )


def components() -> Components:
    """The current app's services."""
    return current_app.extensions["portal"]
