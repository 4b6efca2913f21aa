"""The portal's settings: every variable it reads, with its default and its check, declared once.

A setting is one line of the Settings class below: the environment variable, how its value is
read and checked (a parser from config/parsers.py), and its default. load_settings() reads them
all before gunicorn opens its port; anything that cannot work raises ConfigurationError with one
line naming each variable at fault and what it expects. docs/settings.md's table lists the
same variables (tests/unit/test_readme.py keeps the two in step).

Adding a setting: declare it below, read it as `settings.<field>`, add its row to docs/settings.md's
table and its line to deploy/portal.env.example, and give tests/unit/test_settings.py a bad value
for it (that test fails until you do).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from config import parsers
from config.parsers import ConfigurationError

PRODUCTION = "production"
DEVELOPMENT = "development"
# Compared, never called: plain http there sends nothing in clear.
NOT_CALLED = ("COCOON_ISSUER",)


def setting(
    variable: str,
    parse: Callable[[str], Any] = parsers.text,
    default: Any = None,
    *,
    required: bool = False,
    development: Any = None,
    secret: bool = False,
) -> Any:
    """Declare a setting: the environment variable, its parser and its default (None: unset).

    A required setting has no default; `development` is what it takes in development when it is
    not set (a value, or a function that makes one). A secret never appears in repr() or errors.
    """
    return field(
        default=default,
        repr=not secret,
        metadata={
            "variable": variable,
            "parse": parse,
            "required": required,
            "development": development,
            "secret": secret,
        },
    )


def _fresh_secret_key() -> str:
    # Development only: a random key per start (gunicorn.conf.py hands the master's to every
    # worker). Sessions then end when the portal restarts, as `make run`'s always have.
    return secrets.token_urlsafe(48)


@dataclass(frozen=True)
class Settings:
    """Everything the portal reads from its environment, already checked."""

    env: str = setting("PORTAL_ENV", parsers.one_of(PRODUCTION, DEVELOPMENT), PRODUCTION)
    secret_key: str = setting(
        "SECRET_KEY", required=True, development=_fresh_secret_key, secret=True
    )
    token_encryption_keys: tuple[bytes, ...] = setting(
        "TOKEN_ENCRYPTION_KEYS", parsers.encryption_keys, (), secret=True
    )
    redis_url: str = setting("REDIS_URL", parsers.redis_url, "redis://127.0.0.1:6379/0")
    redis_sentinels: tuple[tuple[str, int], ...] = setting(
        "REDIS_SENTINELS", parsers.host_ports, ()
    )
    redis_sentinel_master: str = setting("REDIS_SENTINEL_MASTER", parsers.word, "mymaster")
    redis_cluster_nodes: tuple[tuple[str, int], ...] = setting(
        "REDIS_CLUSTER_NODES", parsers.host_ports, ()
    )
    access_service_url: str = setting(
        "COCOON_ACCESS_SERVICE_URL",
        parsers.base_url,
        required=True,
        development="http://127.0.0.1:9000",  # the emulator `make run` starts
    )
    backchannel_url: str | None = setting("COCOON_BACKCHANNEL_URL", parsers.base_url)
    client_id: str = setting(
        "COCOON_CLIENT_ID", parsers.word, required=True, development="exampleClientApplication"
    )
    client_secret: str = setting(
        "COCOON_CLIENT_SECRET",
        required=True,
        development="exampleClientApplicationSecret",  # the emulator's public demo client
        secret=True,
    )
    redirect_uri: str | None = setting("COCOON_REDIRECT_URI", parsers.url)
    scope: str | None = setting("COCOON_SCOPE", parsers.scope)
    revocation_url: str | None = setting("COCOON_REVOCATION_URL", parsers.url)
    token_key_url: str | None = setting("COCOON_TOKEN_KEY_URL", parsers.url)
    jwks_url: str | None = setting("COCOON_JWKS_URL", parsers.url)
    # How the token key request authenticates: none, or the client's credentials (HTTP Basic).
    token_key_auth: str = setting(
        "COCOON_TOKEN_KEY_AUTH", parsers.one_of("none", "basic", normalise=str.lower), "none"
    )
    issuer: str | None = setting("COCOON_ISSUER", parsers.url)
    logout_url: str | None = setting("COCOON_LOGOUT_URL", parsers.url)
    plain_http_hosts: tuple[str, ...] = setting("COCOON_PLAIN_HTTP_HOSTS", parsers.host_names, ())
    session_idle_timeout: float = setting("SESSION_IDLE_TIMEOUT", parsers.seconds, 1800.0)
    session_absolute_timeout: float = setting("SESSION_ABSOLUTE_TIMEOUT", parsers.seconds, 43200.0)
    session_cache_size: int = setting("SESSION_CACHE_SIZE", parsers.whole_number(0), 4096)
    http_connect_timeout: float = setting("HTTP_CONNECT_TIMEOUT", parsers.seconds, 3.05)
    http_read_timeout: float = setting("HTTP_READ_TIMEOUT", parsers.seconds, 10.0)
    refresh_leeway: float = setting("TOKEN_REFRESH_LEEWAY", parsers.seconds, 60.0)
    platform_probe_interval: int = setting("PLATFORM_PROBE_INTERVAL", parsers.whole_number(0), 5)
    trusted_hosts: tuple[str, ...] = setting("TRUSTED_HOSTS", parsers.host_names, ())
    forwarded_allow_ips: tuple[str, ...] = setting(
        "FORWARDED_ALLOW_IPS", parsers.addresses, ("127.0.0.1", "::1")
    )
    proxy_hops: int = setting("PROXY_HOPS", parsers.whole_number(0), 1)
    login_rate_limit: str = setting("LOGIN_RATE_LIMIT", parsers.rate_limit, "120/minute")
    metrics_allowed_ips: tuple[str, ...] = setting(
        "METRICS_ALLOWED_IPS", parsers.addresses, ("127.0.0.1", "::1")
    )
    log_level: str = setting(
        "LOG_LEVEL",
        parsers.one_of("DEBUG", "INFO", "WARNING", "ERROR", normalise=str.upper),
        "INFO",
    )
    # The server (config/gunicorn.conf.py); GUNICORN_CMD_ARGS still overrides these.
    bind: str = setting("PORTAL_BIND", parsers.bind_address, "127.0.0.1:5000")
    workers: int = setting("WEB_CONCURRENCY", parsers.whole_number(1), 2)
    threads: int = setting("PORTAL_THREADS", parsers.whole_number(1), 4)
    metrics_dir: str | None = setting("PROMETHEUS_MULTIPROC_DIR", parsers.directory)
    # Development only (`make run` turns it on): restart workers when the code, a template or a
    # static file changes.
    reload: bool = setting("PORTAL_RELOAD", parsers.switch, False)

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

    @property
    def user_api_url(self) -> str:
        """The base of the platform's user API (`/api/v1`), which the portal itself calls."""
        return (self.backchannel_url or self.access_service_url) + "/api/v1"

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Every environment variable the settings read, mapped to its field name."""
        return {f.metadata["variable"]: f.name for f in fields(cls)}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check every setting; raise ConfigurationError naming each one at fault."""
        environ = os.environ if environ is None else environ
        values, problems, missing = {}, [], []
        production = environ.get("PORTAL_ENV", "").strip() in ("", PRODUCTION)
        for each in fields(cls):
            meta, raw = each.metadata, environ.get(each.metadata["variable"], "").strip()
            if not raw:
                if meta["required"] and (production or meta["development"] is None):
                    missing.append(meta["variable"])
                elif meta["required"]:
                    made = meta["development"]
                    values[each.name] = made() if callable(made) else made
                continue
            try:
                values[each.name] = meta["parse"](parsers.plain(raw))
            except ValueError as exc:
                shown = "" if meta["secret"] else f" (got {raw!r})"
                problems.append(f"{meta['variable']} must be {exc}{shown}")
        if missing:
            problems.insert(
                0,
                f"missing required setting(s): {', '.join(missing)} "
                f"(PORTAL_ENV={environ.get('PORTAL_ENV', PRODUCTION)})",
            )
        if problems:
            raise ConfigurationError("; ".join(problems) + " (see docs/settings.md)")
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """The rules between settings, and what production refuses: raise ConfigurationError."""
        problems = []
        if self.production and len(self.secret_key) < 32:
            problems.append("SECRET_KEY must be at least 32 characters in production")
        if self.session_idle_timeout > self.session_absolute_timeout:
            problems.append("SESSION_IDLE_TIMEOUT must not exceed SESSION_ABSOLUTE_TIMEOUT")
        if self.redis_sentinels and self.redis_cluster_nodes:
            problems.append("set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both")
        if self.production and self.reload:
            problems.append("PORTAL_RELOAD must be off in production (it is for development)")
        if self.production:
            problems += [
                f"{variable} must use https in production, not plain http to {host} (the client "
                "secret, passwords or tokens would cross the network unencrypted); a private "
                "network you control can be allowed with COCOON_PLAIN_HTTP_HOSTS"
                for variable, host in self._plain_http()
            ]
        if problems:
            raise ConfigurationError("; ".join(problems))

    def _plain_http(self) -> list[tuple[str, str]]:
        """(variable, host) of each platform or callback URL that is plain http, off loopback and
        not allowed by COCOON_PLAIN_HTTP_HOSTS."""
        found = []
        for variable, name in self.variables().items():
            value = getattr(self, name)
            if variable in NOT_CALLED or not str(value).startswith("http://"):
                continue
            host = urlsplit(value).hostname or ""
            if not parsers.is_loopback(host) and host not in self.plain_http_hosts:
                found.append((variable, host))
        return found


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from environ (default: the process), plus `.env` in development."""
    if environ is None:
        environ = dict(os.environ)
        dotenv = {k: v for k, v in dotenv_values(".env").items() if v is not None}
        if (environ.get("PORTAL_ENV") or dotenv.get("PORTAL_ENV")) == DEVELOPMENT:
            environ = {**dotenv, **environ}  # the real environment wins over the file
    return Settings.from_env(environ)
