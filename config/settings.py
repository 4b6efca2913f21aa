"""The portal's settings, read once from the environment and checked before anything serves.

Every variable here is listed, with its default, in the Settings table of README.md.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from dotenv import dotenv_values

PRODUCTION = "production"
DEVELOPMENT = "development"

# The emulator's public demo client: a default only in development, never in production.
DEMO_ACCESS_SERVICE_URL = "http://127.0.0.1:9000"
DEMO_CLIENT_ID = "exampleClientApplication"
DEMO_CLIENT_SECRET = "exampleClientApplicationSecret"


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


def _split(value: str | None, sep: str = ",") -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(sep) if part.strip())


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be positive, got {raw!r}")
    return value


def _whole(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigurationError(f"{name} must be a whole number, got {raw!r}")
    return int(raw)


def _encryption_keys(raw: str | None) -> tuple[bytes, ...]:
    """Decode TOKEN_ENCRYPTION_KEYS: urlsafe-base64 32-byte keys, the first one encrypts."""
    keys = []
    for item in _split(raw):
        try:
            key = base64.urlsafe_b64decode(item + "=" * (-len(item) % 4))
        except (binascii.Error, ValueError):
            raise ConfigurationError("TOKEN_ENCRYPTION_KEYS: a key is not base64") from None
        if len(key) != 32:
            raise ConfigurationError("TOKEN_ENCRYPTION_KEYS: each key must decode to 32 bytes")
        keys.append(key)
    return tuple(keys)


def _addresses(environ: Mapping[str, str], name: str) -> tuple[tuple[str, int], ...]:
    """A comma-separated list of host:port, as (host, port) pairs."""
    result = []
    for item in _split(environ.get(name)):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigurationError(f"{name}: {item!r} is not host:port")
        result.append((host, int(port)))
    return tuple(result)


@dataclass(frozen=True)
class Settings:
    """Everything the portal reads from its environment, already checked."""

    env: str
    secret_key: str
    access_service_url: str
    client_id: str
    client_secret: str = field(repr=False)
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_sentinels: tuple[tuple[str, int], ...] = ()
    redis_sentinel_master: str = "mymaster"
    redis_cluster_nodes: tuple[tuple[str, int], ...] = ()
    backchannel_url: str | None = None
    redirect_uri: str | None = None
    scope: str | None = None
    revocation_url: str | None = None
    token_key_url: str | None = None
    jwks_url: str | None = None
    issuer: str | None = None
    logout_url: str | None = None
    token_encryption_keys: tuple[bytes, ...] = field(default=(), repr=False)
    session_idle_timeout: float = 1800
    session_absolute_timeout: float = 43200
    session_cache_size: int = 4096
    http_connect_timeout: float = 3.05
    http_read_timeout: float = 10
    refresh_leeway: float = 60
    trusted_hosts: tuple[str, ...] = ()
    forwarded_allow_ips: tuple[str, ...] = ("127.0.0.1", "::1")
    proxy_hops: int = 1
    login_rate_limit: str = "30/minute"
    metrics_allowed_ips: tuple[str, ...] = ("127.0.0.1", "::1")
    log_level: str = "INFO"

    @property
    def production(self) -> bool:
        return self.env == PRODUCTION

    @property
    def authorize_url(self) -> str:
        """Where the browser is sent to sign in."""
        return self.access_service_url + "/api/oauth/authorize"

    @property
    def token_endpoint(self) -> str:
        """Where the portal itself swaps codes and refresh tokens for tokens."""
        return (self.backchannel_url or self.access_service_url) + "/api/oauth/token"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check the settings; raise ConfigurationError naming what is wrong."""
        environ = os.environ if environ is None else environ
        env = environ.get("PORTAL_ENV", PRODUCTION).strip() or PRODUCTION
        if env not in (PRODUCTION, DEVELOPMENT):
            raise ConfigurationError(f"PORTAL_ENV must be production or development, not {env!r}")
        production = env == PRODUCTION

        def required(name: str, dev_default: str | None = None) -> str:
            value = environ.get(name, "").strip()
            if value:
                return value
            if not production and dev_default is not None:
                return dev_default
            missing.append(name)
            return ""

        missing: list[str] = []
        secret_key = required("SECRET_KEY")
        base_url = required("COCOON_ACCESS_SERVICE_URL", DEMO_ACCESS_SERVICE_URL).rstrip("/")
        client_id = required("COCOON_CLIENT_ID", DEMO_CLIENT_ID)
        client_secret = required("COCOON_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        if missing:
            raise ConfigurationError(
                f"missing required setting(s): {', '.join(missing)} (PORTAL_ENV={env}); "
                "see the Settings table in README.md"
            )
        if production and len(secret_key) < 32:
            raise ConfigurationError("SECRET_KEY must be at least 32 characters in production")
        idle = _seconds(environ, "SESSION_IDLE_TIMEOUT", 1800)
        absolute = _seconds(environ, "SESSION_ABSOLUTE_TIMEOUT", 43200)
        if idle > absolute:
            raise ConfigurationError(
                "SESSION_IDLE_TIMEOUT must not exceed SESSION_ABSOLUTE_TIMEOUT"
            )
        optional = {
            name: environ.get(name, "").strip() or None
            for name in (
                "COCOON_BACKCHANNEL_URL",
                "COCOON_REDIRECT_URI",
                "COCOON_SCOPE",
                "COCOON_REVOCATION_URL",
                "COCOON_TOKEN_KEY_URL",
                "COCOON_JWKS_URL",
                "COCOON_ISSUER",
                "COCOON_LOGOUT_URL",
            )
        }
        sentinels = _addresses(environ, "REDIS_SENTINELS")
        cluster_nodes = _addresses(environ, "REDIS_CLUSTER_NODES")
        if sentinels and cluster_nodes:
            raise ConfigurationError("set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both")
        hops = _whole(environ, "PROXY_HOPS", 1)
        return cls(
            env=env,
            secret_key=secret_key,
            access_service_url=base_url,
            client_id=client_id,
            client_secret=client_secret,
            redis_url=environ.get("REDIS_URL", "").strip() or cls.redis_url,
            redis_sentinels=sentinels,
            redis_sentinel_master=environ.get("REDIS_SENTINEL_MASTER", "").strip() or "mymaster",
            redis_cluster_nodes=cluster_nodes,
            backchannel_url=(optional["COCOON_BACKCHANNEL_URL"] or "").rstrip("/") or None,
            redirect_uri=optional["COCOON_REDIRECT_URI"],
            scope=optional["COCOON_SCOPE"],
            revocation_url=optional["COCOON_REVOCATION_URL"],
            token_key_url=optional["COCOON_TOKEN_KEY_URL"],
            jwks_url=optional["COCOON_JWKS_URL"],
            issuer=optional["COCOON_ISSUER"],
            logout_url=optional["COCOON_LOGOUT_URL"],
            token_encryption_keys=_encryption_keys(environ.get("TOKEN_ENCRYPTION_KEYS")),
            session_idle_timeout=idle,
            session_absolute_timeout=absolute,
            http_connect_timeout=_seconds(environ, "HTTP_CONNECT_TIMEOUT", 3.05),
            http_read_timeout=_seconds(environ, "HTTP_READ_TIMEOUT", 10),
            refresh_leeway=_seconds(environ, "TOKEN_REFRESH_LEEWAY", 60),
            trusted_hosts=_split(environ.get("TRUSTED_HOSTS")),
            forwarded_allow_ips=_split(environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")),
            proxy_hops=hops,
            session_cache_size=_whole(environ, "SESSION_CACHE_SIZE", 4096),
            login_rate_limit=environ.get("LOGIN_RATE_LIMIT", "").strip() or "30/minute",
            metrics_allowed_ips=_split(environ.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1")),
            log_level=(environ.get("LOG_LEVEL", "").strip() or "INFO").upper(),
        )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from environ (default: the process), plus `.env` in development."""
    if environ is None:
        environ = dict(os.environ)
        dotenv = {k: v for k, v in dotenv_values(".env").items() if v is not None}
        if (environ.get("PORTAL_ENV") or dotenv.get("PORTAL_ENV")) == DEVELOPMENT:
            environ = {**dotenv, **environ}  # the real environment wins over the file
    return Settings.from_env(environ)
