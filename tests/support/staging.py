"""A staging host on a port other than 443: deploy/nginx/portal.example.conf in a real nginx on
https://localhost:<port>, in front of the portal under gunicorn in production mode, and an
emulator that registers that origin's redirect URIs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.emulator import emulator_with
from tests.support.environment import portal_environment
from tests.support.make_run import distinct_free_ports
from tests.support.nginx import Nginx, write_config
from tests.support.processes import ROOT, AccessService, Portal

EXAMPLE = ROOT / "deploy" / "nginx" / "portal.example.conf"


@dataclass
class Staging:
    """What staging() started: the public origin, its certificate and the emulator."""

    url: str
    certificate: Path
    emulator: AccessService
    portal: Portal


def staging_config(folder: Path, https_port: int, portal_port: int, http_port: int) -> Path:
    """The nginx example as an operator fills it in for https on `https_port`."""
    return write_config(
        EXAMPLE,
        folder,
        {
            "listen 80;": f"listen {http_port};",
            "listen [::]:80;": "",
            "listen 443 ssl http2;": f"listen {https_port} ssl http2;",
            "listen [::]:443 ssl http2;": "",
            "server_name portal.example.com;": "server_name localhost;",
            "server 127.0.0.1:5000;": f"server 127.0.0.1:{portal_port};",
        },
    )


@contextmanager
def staging(redis_url: str, folder: Path) -> Iterator[Staging]:
    """Start the three; the portal finds its public origin from the proxy's headers alone
    (no COCOON_REDIRECT_URI). Stopped on leaving."""
    https_port, http_port = distinct_free_ports(2)
    public = f"https://localhost:{https_port}"
    client = {
        "client_id": "stagingPortal",
        "secret": "staging-portal-secret",
        "registered_redirect_uris": [public + "/authcallback"],
        "post_logout_redirect_uris": [public + "/signed-out"],
    }
    for name in ("emulator", "portal", "nginx"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    with emulator_with(folder / "emulator", clients=(client,)) as emulator:
        environ = portal_environment(
            redis_url,
            emulator.url,
            PORTAL_ENV="production",
            FORWARDED_ALLOW_IPS="127.0.0.1",
            TRUSTED_HOSTS="localhost",
            COCOON_CLIENT_ID=client["client_id"],
            COCOON_CLIENT_SECRET=client["secret"],
        )
        portal = Portal(folder / "portal", environ).start()
        config = staging_config(folder / "nginx", https_port, portal.port, http_port)
        nginx = Nginx(config, https_port)
        try:
            nginx.start()
            yield Staging(public, folder / "nginx" / "localhost.crt", emulator, portal)
        finally:
            nginx.stop()
            portal.stop()
