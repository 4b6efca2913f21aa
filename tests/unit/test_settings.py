"""Settings: production refuses to start without its secrets, and names what is missing."""

import base64
import os

import pytest

from config import ConfigurationError, Settings

PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "COCOON_ACCESS_SERVICE_URL": "https://access-service.xy-company.com/",
    "COCOON_CLIENT_ID": "exampleClientApplication",
    "COCOON_CLIENT_SECRET": "exampleClientApplicationSecret",
}


def test_production_defaults():
    settings = Settings.from_env(PRODUCTION)
    assert settings.production
    assert settings.authorize_url == "https://access-service.xy-company.com/api/oauth/authorize"
    assert settings.token_endpoint == "https://access-service.xy-company.com/api/oauth/token"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.scope is None
    assert (settings.session_idle_timeout, settings.session_absolute_timeout) == (1800, 43200)
    assert "exampleClientApplicationSecret" not in repr(settings)


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


def test_development_defaults_to_the_emulator_but_still_needs_a_secret_key():
    settings = Settings.from_env({"PORTAL_ENV": "development", "SECRET_KEY": "dev"})
    assert settings.access_service_url == "http://127.0.0.1:9000"
    assert settings.client_id == "exampleClientApplication"
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings.from_env({"PORTAL_ENV": "development"})


def test_backchannel_url_is_used_for_server_to_server_calls():
    settings = Settings.from_env({**PRODUCTION, "COCOON_BACKCHANNEL_URL": "http://as:9000/"})
    assert settings.authorize_url.startswith("https://access-service.xy-company.com/")
    assert settings.token_endpoint == "http://as:9000/api/oauth/token"


def test_encryption_keys_and_sentinels_are_parsed_and_checked():
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
    with pytest.raises(ConfigurationError, match="TOKEN_ENCRYPTION_KEYS"):
        Settings.from_env({**PRODUCTION, "TOKEN_ENCRYPTION_KEYS": "c2hvcnQ="})
    with pytest.raises(ConfigurationError, match="REDIS_SENTINELS"):
        Settings.from_env({**PRODUCTION, "REDIS_SENTINELS": "nohost"})


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


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SESSION_IDLE_TIMEOUT", "abc"),
        ("SESSION_ABSOLUTE_TIMEOUT", "-5"),
        ("PORTAL_ENV", "staging"),
        ("PROXY_HOPS", "x"),
    ],
)
def test_malformed_values_are_named(name, value):
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({**PRODUCTION, name: value})


def test_short_secret_key_refused_in_production():
    with pytest.raises(ConfigurationError, match="32 characters"):
        Settings.from_env({**PRODUCTION, "SECRET_KEY": "short"})
