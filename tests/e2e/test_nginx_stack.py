"""The compose stack's request path without Docker: deploy/nginx/dev.conf in a real nginx, in
front of the portal configured as docker-compose.yml configures it, with each env file."""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yaml

from tests.support.agent import SignInAgent
from tests.support.make_run import distinct_free_ports
from tests.support.nginx import Nginx, write_config
from tests.support.processes import ROOT, Portal
from tests.support.staging import staging

DEPLOY = ROOT / "deploy"
FILLED = {
    "SECRET_KEY": "filled-in-secret-key-0123456789abcdef0123",
    "COCOON_CLIENT_ID": "portalClient",
    "COCOON_CLIENT_SECRET": "filled-in-client-secret",
}


def env_file(name: str) -> dict[str, str]:
    """deploy/<name> as compose reads it, empty values filled as an operator would."""
    pairs = (
        line.split("=", 1)
        for line in (DEPLOY / name).read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    return {key.strip(): value.strip() or FILLED.get(key.strip(), "") for key, value in pairs}


@pytest.mark.parametrize("env_name", ["portal.env.example", "demo.env"])
def test_through_the_bundled_nginx_the_portal_answers_and_signs_in_on_localhost(
    env_name, redis_server, e2e_dir, tmp_path
):
    wiring = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["portal"]
    environ = {**env_file(env_name), **wiring["environment"]}
    # Here nginx is 127.0.0.1 and Redis is the tests' own, not the compose network's; the
    # platform's sign-in pages are a socket that accepts connections (/login first checks that
    # they can be reached, app/cocoon/reachability.py; nothing here follows the redirect).
    platform = socket.create_server(("127.0.0.1", 0))
    platform_url = f"https://127.0.0.1:{platform.getsockname()[1]}"
    environ.update(
        FORWARDED_ALLOW_IPS="127.0.0.1",
        REDIS_URL=redis_server.url,
        COCOON_ACCESS_SERVICE_URL=platform_url,
        COCOON_LOGOUT_URL=platform_url + "/logout",
        COCOON_BACKCHANNEL_URL=platform_url,
    )
    portal = Portal(e2e_dir / "nginx-stack", environ)
    https_port, emulator_port = distinct_free_ports(2)
    config = write_config(
        DEPLOY / "nginx" / "dev.conf",
        tmp_path,
        {
            "resolver ${NGINX_RESOLVER} valid=10s ipv6=off;": "",
            "listen 443 ssl http2 default_server;": f"listen {https_port} ssl http2"
            " default_server;",
            "listen 9443 ssl http2;": f"listen {emulator_port} ssl http2;",
            "http://portal:5000": f"http://127.0.0.1:{portal.port}",
            "http://access-service:9000": "http://127.0.0.1:9",
        },
    )
    portal.start()
    nginx = Nginx(config, https_port).start()
    try:
        # The Host a browser sends to https://localhost (on 443; this nginx listens elsewhere).
        base, host = f"https://localhost:{https_port}", {"Host": "localhost"}
        certificate = str(tmp_path / "localhost.crt")
        home = requests.get(base + "/", headers=host, verify=certificate, timeout=10)
        assert home.status_code == 200, home.text[:300]
        login = requests.get(
            base + "/login", headers=host, verify=certificate, allow_redirects=False, timeout=10
        )
        assert login.status_code == 302
        query = parse_qs(urlsplit(login.headers["Location"]).query)
        assert query["redirect_uri"] == ["https://localhost/authcallback"]
        assert login.headers["Set-Cookie"].startswith("__Host-sign-in-")
        assert "Secure" in login.headers["Set-Cookie"]
    finally:
        nginx.stop()
        portal.stop()
        platform.close()


def test_behind_the_nginx_example_on_a_port_other_than_443_forms_need_no_referer(
    redis_server, tmp_path
):
    """Issue 23, item 2: a staging host on https://localhost:<port> behind the production nginx
    example. The portal knows its own origin, port included (no bounce at /login), and its
    forms work without a Referer: a form with Origin, a sign-out with `Origin: null` from a
    no-referrer page."""
    with staging(redis_server.url, tmp_path) as stage:
        public = stage.url
        browser = requests.Session()
        browser.verify = str(stage.certificate)
        browser.trust_env = False  # else REQUESTS_CA_BUNDLE overrides `verify`
        login = browser.get(public + "/login", allow_redirects=False, timeout=10)
        assert login.status_code == 302
        query = parse_qs(urlsplit(login.headers["Location"]).query)
        assert query["redirect_uri"] == [public + "/authcallback"]  # port kept, no bounce
        callback = SignInAgent().authorize(login.headers["Location"])
        landed = browser.get(callback, allow_redirects=False, timeout=10)
        assert landed.status_code == 302, landed.text[:300]
        html = browser.get(public + "/account", timeout=10).text
        token = html.split('name="csrf_token" value="')[1].split('"')[0]
        form = {
            "firstName": "Alex",
            "lastName": "Originator",
            "otherName": "",
            "mobileNumber": "+1 234 567 8910",
            "csrf_token": token,
        }
        saved = browser.post(
            public + "/account",
            data=form,
            headers={"Origin": public},
            allow_redirects=False,
            timeout=10,
        )
        assert saved.status_code == 303 and saved.headers["Location"] == "/account?saved=1"
        out = browser.post(
            public + "/logout",
            data={"csrf_token": token},
            headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
            allow_redirects=False,
            timeout=10,
        )
        assert out.status_code == 303
        assert out.headers["Location"].startswith(stage.emulator.url + "/logout?")
        assert browser.get(public + "/profile", allow_redirects=False).status_code == 302
