"""The real Spring Security OAuth2 2.4.0 server of tests/fidelity/spring-server/ in tests: its
jar (built only when missing or older than its sources), its data and the running server.

The same data file serves the emulator and the real server, so both know the same clients and
users: the demo data plus the clients below, and the redirect URIs of portals a test will start
on ports chosen in advance (the real server matches a redirect URI's port exactly; only the
emulator has the loopback rule).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from werkzeug.security import generate_password_hash

from tests.support.processes import ROOT, HttpServer, Process, free_port, wait_for_http

SPRING_SERVER_DIR = ROOT / "tests" / "fidelity" / "spring-server"
JAR = SPRING_SERVER_DIR / "target" / "reference-server.jar"
DEMO_DATA = ROOT / "access_service" / "demo_data.json"

# The demo accounts' plain secrets and passwords (docs/emulator.md lists them): the
# reference server's own default file.
DEMO_SECRETS: dict[str, str] = json.loads(
    (SPRING_SERVER_DIR / "src" / "main" / "resources" / "demo-secrets.json").read_text()
)


@dataclass(frozen=True)
class ExtraClient:
    """A client the tests add to the demo data: the first demo client's fields but these."""

    client_id: str
    secret: str
    access_token_validity: int = 43200
    refresh_token_validity: int = 2592000
    auto_approve: bool = True


# Access tokens that run out within a test (refresh then works), and refresh tokens that do.
SHORT_ACCESS = ExtraClient("shortAccessClient", "shortAccessClientSecret", access_token_validity=2)
SHORT_REFRESH = ExtraClient(
    "shortRefreshClient",
    "shortRefreshClientSecret",
    access_token_validity=1,
    refresh_token_validity=2,
)
TEST_CLIENTS = (SHORT_ACCESS, SHORT_REFRESH)
# How many portals on the real server a session may start (each needs its redirect URI).
PORTAL_PORTS = 8


def tools_missing() -> bool:
    return shutil.which("java") is None or shutil.which("mvn") is None


def jar_is_current() -> bool:
    """Whether the jar exists and is newer than pom.xml and every source file."""
    if not JAR.exists():
        return False
    sources = [SPRING_SERVER_DIR / "pom.xml", *(SPRING_SERVER_DIR / "src").rglob("*")]
    newest = max(path.stat().st_mtime for path in sources if path.is_file())
    return JAR.stat().st_mtime >= newest


def build_jar() -> Path:
    """The jar, built with Maven first if it is missing or stale (.ci/run builds it before the
    suite, so this costs the suite nothing there); raises CalledProcessError on a failed build."""
    if not jar_is_current():
        subprocess.run(
            ["mvn", "-q", "-B", "-f", str(SPRING_SERVER_DIR / "pom.xml"), "package", "-DskipTests"],
            check=True,
            timeout=900,
        )
        JAR.touch()  # Maven leaves an unchanged jar's time alone
    return JAR


@dataclass
class FidelityData:
    """The data file both servers read, the real server's plain secrets, and the ports portals
    may take (their redirect URIs are registered): `take_port()` hands each out once."""

    data_file: Path
    secrets_file: Path
    portal_ports: list[int]

    def take_port(self) -> int:
        if not self.portal_ports:
            raise RuntimeError("no portal port left: give write_data more")
        return self.portal_ports.pop()


def write_data(workdir: Path, portal_ports: list[int]) -> FidelityData:
    """Write the data file (demo data, TEST_CLIENTS, redirect and post-logout URIs for
    portal_ports on 127.0.0.1) and the real server's file of plain secrets."""
    data = json.loads(DEMO_DATA.read_text())
    secrets = dict(DEMO_SECRETS)
    template = data["clients"][0]
    for extra in TEST_CLIENTS:
        data["clients"].append(
            {
                **template,
                "client_id": extra.client_id,
                "client_secret_hash": generate_password_hash(extra.secret),
                "auto_approve": extra.auto_approve,
                "access_token_validity_seconds": extra.access_token_validity,
                "refresh_token_validity_seconds": extra.refresh_token_validity,
                "description": f"Test client {extra.client_id}",
            }
        )
        secrets[extra.client_id] = extra.secret
    for client in data["clients"]:
        if not client["registered_redirect_uris"]:
            continue
        for port in portal_ports:
            client["registered_redirect_uris"].append(f"http://127.0.0.1:{port}/authcallback")
            client["post_logout_redirect_uris"].append(f"http://127.0.0.1:{port}/signed-out")
    workdir.mkdir(parents=True, exist_ok=True)
    data_file, secrets_file = workdir / "data.json", workdir / "secrets.json"
    data_file.write_text(json.dumps(data, indent=1))
    secrets_file.write_text(json.dumps(secrets))
    return FidelityData(data_file, secrets_file, list(portal_ports))


class ReferenceServer(HttpServer):
    """The real Spring server (`java -jar`) on a free port, reading data's two files."""

    ready_path = "/api/oauth/token_key"

    def __init__(self, workdir: Path, data: FidelityData):
        self.port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        cmd = [
            "java",
            # The C1 compiler only: the JVM starts sooner on a busy 2-core machine.
            "-XX:TieredStopAtLevel=1",
            "-Xss512k",
            "-jar",
            str(JAR),
            f"--server.port={self.port}",
            "--server.address=127.0.0.1",
            f"--cocoon.data={data.data_file}",
            f"--cocoon.secrets={data.secrets_file}",
        ]
        super().__init__(cmd, log_path=workdir / f"reference-server-{self.port}.log")

    def launch(self) -> ReferenceServer:
        """Start the JVM without waiting for it (see wait_ready)."""
        Process.start(self)
        return self

    def wait_ready(self) -> ReferenceServer:
        """Wait until it answers; a JVM on a loaded 2-core machine takes a while, so 90 s."""
        self.started_when(
            lambda: wait_for_http(self.url + self.ready_path, timeout=90, proc=self.proc)
        )
        return self

    def start(self) -> ReferenceServer:
        return self.launch().wait_ready()
