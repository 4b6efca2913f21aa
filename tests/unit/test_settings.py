"""Settings: every variable of docs/settings.md's table is checked before anything serves, and a bad
value stops the portal with one line naming the variable and what it expects."""

import base64
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from limits.storage import storage_from_string

from app.cocoon.api import UserApi
from app.web.rate_limits import RateLimit
from config import ConfigurationError, Settings

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "COCOON_ACCESS_SERVICE_URL": "https://access-service.xy-company.com/",
    "COCOON_CLIENT_ID": "exampleClientApplication",
    "COCOON_CLIENT_SECRET": "exampleClientApplicationSecret",
}

# A value that cannot work, for every variable of docs/settings.md's table. A new setting
# needs one here: test_every_documented_setting_has_a_bad_value fails until it has.
BAD_VALUES = {
    "PORTAL_ENV": "staging",
    "SECRET_KEY": "short",
    "TOKEN_ENCRYPTION_KEYS": "c2hvcnQ=",
    "REDIS_URL": "127.0.0.1:6379",
    "REDIS_SENTINELS": "sentinel-1.internal",
    "REDIS_SENTINEL_MASTER": "my master",
    "REDIS_CLUSTER_NODES": "redis-1.internal",
    "COCOON_ACCESS_SERVICE_URL": "as.example",
    "COCOON_BACKCHANNEL_URL": "https://as.internal/?x=1",
    "COCOON_CLIENT_ID": "example client",
    "COCOON_CLIENT_SECRET": '"exampleClientApplicationSecret"',
    "COCOON_REDIRECT_URI": "/authcallback",
    "COCOON_SCOPE": "SCOPE_VIEW,SCOPE_SHARE",
    "COCOON_REVOCATION_URL": "ftp://access-service.xy-company.com/api/oauth/revoke",
    "COCOON_TOKEN_KEY_URL": "access-service.xy-company.com/api/oauth/token_key",
    "COCOON_JWKS_URL": "https://",
    "COCOON_TOKEN_KEY_AUTH": "bearer",
    "COCOON_ISSUER": "xy-company",
    "COCOON_LOGOUT_URL": "logout",
    "COCOON_PLAIN_HTTP_HOSTS": "http://access-service:9000",
    "SESSION_IDLE_TIMEOUT": "30m",
    "SESSION_ABSOLUTE_TIMEOUT": "-5",
    "SESSION_CACHE_SIZE": "-1",
    "HTTP_CONNECT_TIMEOUT": "0",
    "HTTP_READ_TIMEOUT": "inf",
    "TOKEN_REFRESH_LEEWAY": "nan",
    "PLATFORM_PROBE_INTERVAL": "5s",
    "TRUSTED_HOSTS": "https://portal.example.com",
    "FORWARDED_ALLOW_IPS": "nginx",
    "PROXY_HOPS": "x",
    "LOGIN_RATE_LIMIT": "banana",
    "METRICS_ALLOWED_IPS": "10.0.0.0/33",
    "LOG_LEVEL": "LOUD",
    "PORTAL_BIND": "5000",
    "WEB_CONCURRENCY": "0",
    "PORTAL_THREADS": "four",
    "PROMETHEUS_MULTIPROC_DIR": str(ROOT / "README.md"),
    "PORTAL_RELOAD": "sometimes",
}
# gunicorn's own variable, which gunicorn itself checks: tests/e2e/test_settings_refused.py.
CHECKED_BY_GUNICORN = {"GUNICORN_CMD_ARGS"}


def documented_settings() -> list[str]:
    """The variables named in the first column of docs/settings.md's table."""
    section = (ROOT / "docs" / "settings.md").read_text()
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])]


def test_every_documented_setting_has_a_bad_value():
    documented = documented_settings()
    assert len(documented) >= 30
    assert sorted(set(documented) - CHECKED_BY_GUNICORN - BAD_VALUES.keys()) == []
    assert sorted(BAD_VALUES.keys() - set(documented)) == []


def test_every_declared_setting_is_documented():
    assert sorted(Settings.variables().keys() - set(documented_settings())) == []


@pytest.mark.parametrize("variable", sorted(BAD_VALUES))
def test_a_bad_value_is_refused_in_one_line_that_names_the_variable(variable):
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({**PRODUCTION, variable: BAD_VALUES[variable]})
    message = str(refused.value)
    assert message.startswith(variable), message
    assert "\n" not in message
    if variable in ("SECRET_KEY", "COCOON_CLIENT_SECRET", "TOKEN_ENCRYPTION_KEYS"):
        assert BAD_VALUES[variable] not in message  # a secret is never echoed


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LOGIN_RATE_LIMIT", "10/second;300/hour"),
        ("LOG_LEVEL", "info"),
        ("COCOON_SCOPE", "  SCOPE_VIEW   SCOPE_SHARE "),
        ("TRUSTED_HOSTS", "portal.example.com, .example.org, 127.0.0.1"),
        ("FORWARDED_ALLOW_IPS", "*"),
        ("PORTAL_BIND", "unix:/run/portal.sock"),
    ],
)
def test_good_values_of_each_kind_are_read(variable, value):
    settings = Settings.from_env({**PRODUCTION, variable: value})
    field = Settings.variables()[variable]
    assert getattr(settings, field) not in (None, ())


def test_a_rate_of_zero_is_refused():
    with pytest.raises(ConfigurationError, match="LOGIN_RATE_LIMIT"):
        Settings.from_env({**PRODUCTION, "LOGIN_RATE_LIMIT": "0/minute"})


def test_values_are_parsed_into_what_the_code_uses():
    settings = Settings.from_env(
        {
            **PRODUCTION,
            "LOG_LEVEL": "warning",
            "COCOON_SCOPE": "  SCOPE_VIEW   SCOPE_SHARE ",
            "TRUSTED_HOSTS": "portal.example.com, .example.org",
            "WEB_CONCURRENCY": "4",
            "COCOON_LOGOUT_URL": "https://access-service.xy-company.com/logout",
        }
    )
    assert settings.log_level == "WARNING"
    assert settings.scope == "SCOPE_VIEW SCOPE_SHARE"
    assert settings.trusted_hosts == ("portal.example.com", ".example.org")
    assert settings.workers == 4
    assert settings.logout_url == "https://access-service.xy-company.com/logout"


def test_several_bad_values_are_named_together_on_one_line():
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({**PRODUCTION, "LOGIN_RATE_LIMIT": "banana", "PROXY_HOPS": "x"})
    assert "LOGIN_RATE_LIMIT" in str(refused.value) and "PROXY_HOPS" in str(refused.value)
    assert "\n" not in str(refused.value)


def test_quotes_around_a_value_are_refused_for_every_setting():
    # docker's --env-file and compose's env_file keep them as part of the value.
    with pytest.raises(ConfigurationError, match=r"COCOON_CLIENT_ID.*quotes"):
        Settings.from_env({**PRODUCTION, "COCOON_CLIENT_ID": "'exampleClientApplication'"})


def test_production_defaults():
    settings = Settings.from_env(PRODUCTION)
    assert settings.production
    assert settings.authorize_url == "https://access-service.xy-company.com/api/oauth/authorize"
    assert settings.token_endpoint == "https://access-service.xy-company.com/api/oauth/token"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.scope is None and settings.logout_url is None
    assert (settings.session_idle_timeout, settings.session_absolute_timeout) == (1800, 43200)
    assert (settings.bind, settings.workers, settings.threads) == ("127.0.0.1:5000", 2, 4)
    assert settings.login_rate_limit == "120/minute"
    assert "exampleClientApplicationSecret" not in repr(settings)
    assert PRODUCTION["SECRET_KEY"] not in repr(settings)


@pytest.mark.parametrize(
    "missing",
    ["SECRET_KEY", "COCOON_ACCESS_SERVICE_URL", "COCOON_CLIENT_ID", "COCOON_CLIENT_SECRET"],
)
def test_production_names_each_missing_setting(missing):
    environ = {k: v for k, v in PRODUCTION.items() if k != missing}
    with pytest.raises(ConfigurationError, match=missing):
        Settings.from_env(environ)


def test_missing_env_means_production():
    environ = {k: v for k, v in PRODUCTION.items() if k not in ("PORTAL_ENV", "SECRET_KEY")}
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings.from_env(environ)


def test_development_defaults_to_the_emulator_and_a_fresh_secret_key():
    first = Settings.from_env({"PORTAL_ENV": "development"})
    second = Settings.from_env({"PORTAL_ENV": "development"})
    assert first.access_service_url == "http://127.0.0.1:9000"
    assert first.client_id == "exampleClientApplication"
    assert len(first.secret_key) >= 32 and first.secret_key != second.secret_key
    # Bad values are refused in development too: they cannot work there either.
    with pytest.raises(ConfigurationError, match="LOGIN_RATE_LIMIT"):
        Settings.from_env({"PORTAL_ENV": "development", "LOGIN_RATE_LIMIT": "banana"})


@pytest.mark.parametrize(
    "variable",
    [
        "COCOON_ACCESS_SERVICE_URL",
        "COCOON_BACKCHANNEL_URL",
        "COCOON_REVOCATION_URL",
        "COCOON_TOKEN_KEY_URL",
        "COCOON_JWKS_URL",
        "COCOON_LOGOUT_URL",
        "COCOON_REDIRECT_URI",
    ],
)
def test_plain_http_off_loopback_is_refused_in_production_unless_allowed(variable):
    environ = {**PRODUCTION, variable: "http://access-service:9000/path"}
    with pytest.raises(ConfigurationError, match=f"{variable} must use https.*PLAIN_HTTP_HOSTS"):
        Settings.from_env(environ)
    allowed = Settings.from_env({**environ, "COCOON_PLAIN_HTTP_HOSTS": "access-service"})
    assert getattr(allowed, Settings.variables()[variable]).startswith("http://access-service")
    # Loopback (a local test of production mode) and development are not refused.
    Settings.from_env({**PRODUCTION, variable: "http://127.0.0.1:9000/path"})
    Settings.from_env({**environ, "PORTAL_ENV": "development"})


def test_backchannel_url_is_used_for_server_to_server_calls():
    settings = Settings.from_env({**PRODUCTION, "COCOON_BACKCHANNEL_URL": "https://as:9000/"})
    assert settings.authorize_url.startswith("https://access-service.xy-company.com/")
    assert settings.token_endpoint == "https://as:9000/api/oauth/token"
    # The user API too (the compose stack's account pages: the browser's localhost:9443 is not
    # the emulator from inside the portal's container; tests/deploy found it).
    assert settings.user_api_url == "https://as:9000/api/v1"
    assert UserApi.from_settings(settings, tokens=None).base_url == "https://as:9000/api/v1"
    plain = Settings.from_env(PRODUCTION)
    assert plain.user_api_url == "https://access-service.xy-company.com/api/v1"


def test_encryption_keys_and_sentinels_are_parsed():
    keys = [base64.urlsafe_b64encode(os.urandom(32)).decode() for _ in range(2)]
    settings = Settings.from_env(
        {
            **PRODUCTION,
            "TOKEN_ENCRYPTION_KEYS": ",".join(keys),
            "REDIS_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26379",
        }
    )
    assert len(settings.token_encryption_keys) == 2
    assert settings.redis_sentinels == (("10.0.0.1", 26379), ("10.0.0.2", 26379))


def test_cluster_nodes_are_parsed_and_exclude_sentinels():
    nodes = "10.0.0.1:6379, redis-2.internal:7000"
    settings = Settings.from_env({**PRODUCTION, "REDIS_CLUSTER_NODES": nodes})
    assert settings.redis_cluster_nodes == (("10.0.0.1", 6379), ("redis-2.internal", 7000))
    assert Settings.from_env(PRODUCTION).redis_cluster_nodes == ()
    for wrong in ("nohost", "host:", "host:99999", ":6379"):
        with pytest.raises(ConfigurationError, match="REDIS_CLUSTER_NODES"):
            Settings.from_env({**PRODUCTION, "REDIS_CLUSTER_NODES": wrong})
    with pytest.raises(ConfigurationError, match="not both"):
        Settings.from_env(
            {**PRODUCTION, "REDIS_CLUSTER_NODES": nodes, "REDIS_SENTINELS": "10.0.0.9:26379"}
        )


def test_idle_timeout_may_not_outlast_the_absolute_one():
    with pytest.raises(ConfigurationError, match="SESSION_IDLE_TIMEOUT must not exceed"):
        Settings.from_env({**PRODUCTION, "SESSION_IDLE_TIMEOUT": "50000"})


@settings(max_examples=400, deadline=None)
@given(
    variable=st.sampled_from(sorted(BAD_VALUES)),
    value=st.one_of(
        st.text(max_size=40),
        st.sampled_from(["²", "٣", "1²", "0x10", "1e3", " 5 ", "-0", "9" * 40, "\x00", "🙂"]),
    ),
)
def test_any_value_is_read_or_refused_in_one_line(variable, value):
    """Whatever text a setting holds (digits of other scripts included: "²".isdigit() is
    True, int("²") raises), reading the settings gives settings or one ConfigurationError that
    names a variable, never another exception."""
    try:
        Settings.from_env({**PRODUCTION, variable: value})
    except ConfigurationError as refused:
        message = str(refused)
        assert "\n" not in message
        assert re.search(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", message), message


@pytest.mark.parametrize(
    ("rates", "windows"),
    [("50/hour;10/90 minutes", [3600, 5400]), ("10/90 minutes;120/minute", [60, 5400])],
)
def test_a_limit_counts_its_shortest_window_first(rates, windows):
    limit = RateLimit(rates, storage_from_string("memory://"), view="auth.login")
    assert [rate.get_expiry() for rate in limit.rates] == windows
