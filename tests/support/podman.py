"""Podman for tests/deploy/: the Dockerfile built and docker-compose.yml run as written, on a
Debian 12 machine that reaches Debian's packages and PyPI but no image registry.

- Its own podman storage, networks and settings under CACHE (not the machine's): the stand-in
  images below carry the official images' names (`docker.io/library/redis:7.4.2-alpine`), and
  must never shadow the real ones in the podman a developer uses for anything else.
- The images the Dockerfile and the compose file name (python, redis, nginx) are made from
  Debian's packages: one base made with debootstrap, then tests/deploy/images/NAME.Containerfile.
  They are kept in CACHE between runs and made again when a file of tests/deploy/images/ (or
  the names they stand in for) changes. The portal's image is built on every run, with podman's
  layer cache (a layer is reused only when its instruction and input files are unchanged).
- podman 4.3 (Debian 12's) with runc and cgroupfs (crun refuses these machines' cgroups) and
  no default ulimits; without systemd it runs no health check by itself, so Stack runs them
  (`podman healthcheck run`), and podman-compose does not wait on `service_healthy` with a
  podman older than 4.6: the stack starts in the compose file's order and the test waits for
  each health check to pass.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.support import tools
from tests.support.processes import ROOT, VENV_BIN

IMAGES = ROOT / "tests" / "deploy" / "images"
COMPOSE_FILE = ROOT / "docker-compose.yml"
# Where the test's podman keeps everything; `rm -rf` it to start from nothing.
CACHE = Path(os.environ.get("DEPLOY_TEST_CACHE", "/var/cache/cocoon-portal-deploy-test"))
# The running containers' state (on a tmpfs, emptied at boot), apart from the machine's own
# podman's and from another CACHE's.
RUN_DIR = Path("/run/cocoon-portal-deploy-test") / hashlib.sha256(bytes(CACHE)).hexdigest()[:8]
BASE_IMAGE = "localhost/cocoon-deploy-test/bookworm:base"
# What the base holds: enough for the python stand-in; apt-get adds the others' packages.
DEBOOTSTRAP = [
    "debootstrap",
    "--variant=minbase",
    "--include=python3,python3-venv,ca-certificates",
    "bookworm",
]
RECIPE_LABEL = "org.cocoon-portal.deploy-test.recipe"
# The machine's CA certificates during builds, so that apt-get and pip inside reach the
# registries through whatever TLS proxy the machine's own traffic goes through. A build-time
# mount: it is never part of an image layer.
BUILD_ARGS = [
    "--network",
    "host",
    "--pull=never",
    "--volume",
    "/etc/ssl/certs:/etc/ssl/certs:ro",
]
# The Dockerfile's HEALTHCHECK survives only in Docker's image format (podman's default, OCI,
# drops it with a warning); docs/deploying.md says so.
PORTAL_BUILD_ARGS = ["--format", "docker", *BUILD_ARGS]


def check_tools() -> None:
    """Root, podman with runc, its networks and their DNS, debootstrap and podman-compose."""
    if os.geteuid() != 0:
        # Not a tool a package brings: a failure, on a developer's machine too.
        pytest.fail("tests/deploy needs root (rootful podman, publishing ports 443 and 9443)")
    tools.command("podman")
    tools.command("runc")
    tools.command("debootstrap")
    tools.command("iptables")
    if not Path("/usr/lib/podman/netavark").exists():
        tools.missing("podman's netavark", "netavark")
    if not Path("/usr/lib/podman/aardvark-dns").exists():
        tools.missing("podman's aardvark-dns", "aardvark-dns")
    if not (VENV_BIN / "podman-compose").exists():
        pytest.fail("podman-compose is missing: pip install -r requirements-dev.txt")


def check_ports() -> None:
    """The ports the compose file publishes (the demo's URLs name them), free on this machine."""
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    published = [int(str(p).split(":")[0]) for s in services.values() for p in s.get("ports", [])]
    assert published, "docker-compose.yml publishes no port"
    for port in published:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("0.0.0.0", port))
            except OSError as error:
                pytest.fail(f"port {port}, which docker-compose.yml publishes, is taken: {error}")


def write_settings() -> dict[str, str]:
    """containers.conf and storage.conf under CACHE; the environment that makes podman use them."""
    (CACHE / "networks").mkdir(parents=True, exist_ok=True)
    (CACHE / "containers.conf").write_text(
        "[containers]\n"
        "default_ulimits = []\n"
        "[engine]\n"
        'cgroup_manager = "cgroupfs"\n'
        'runtime = "runc"\n'
        f'tmp_dir = "{RUN_DIR / "libpod"}"\n'
        "[network]\n"
        f'network_config_dir = "{CACHE / "networks"}"\n'
    )
    (CACHE / "storage.conf").write_text(
        "[storage]\n"
        'driver = "overlay"\n'
        f'graphroot = "{CACHE / "storage"}"\n'
        f'runroot = "{RUN_DIR / "storage"}"\n'
    )
    return {
        **os.environ,
        "CONTAINERS_CONF": str(CACHE / "containers.conf"),
        "CONTAINERS_STORAGE_CONF": str(CACHE / "storage.conf"),
    }


def named_images() -> dict[str, str]:
    """Each image the Dockerfile's FROM and the compose file's services name, with the
    Containerfile of its stand-in: {"docker.io/library/redis:7.4.2-alpine": "redis", ...}."""
    names = set(re.findall(r"^FROM\s+(\S+)", (ROOT / "Dockerfile").read_text(), re.M))
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    names |= {service["image"] for service in services.values() if "build" not in service}
    names.discard("builder")
    stand_ins = {}
    for name in sorted(names):
        kind = name.rsplit("/", 1)[-1].split(":")[0]
        assert (IMAGES / f"{kind}.Containerfile").exists(), f"no stand-in for {name} in {IMAGES}"
        full = name if "/" in name else f"docker.io/library/{name}"
        stand_ins[full] = kind
    return stand_ins


def recipe() -> str:
    """A digest of everything the stand-ins are made from."""
    digest = hashlib.sha256(json.dumps([DEBOOTSTRAP, named_images()]).encode())
    for path in sorted(IMAGES.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class Podman:
    """podman and podman-compose on the test's own storage, from the repository's root."""

    def __init__(self) -> None:
        self.env = write_settings()

    def run(self, *args: str, check: bool = True, timeout: float = 600, **kwargs):
        """`podman ARGS`; its CompletedProcess (text), raising with its output if check fails."""
        return self.completed(["podman", *args], check, timeout, **kwargs)

    def compose(self, *args: str, check: bool = True, timeout: float = 300):
        """`podman-compose --profile dev ARGS` on docker-compose.yml."""
        command = [str(VENV_BIN / "podman-compose"), "--profile", "dev", *args]
        return self.completed(command, check, timeout)

    def completed(self, command: list[str], check: bool, timeout: float, **kwargs):
        """`command` run from the repository's root on the test's storage; its
        CompletedProcess (text), raising AssertionError with its output if check fails."""
        result = subprocess.run(
            command,
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            **kwargs,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{Path(command[0]).name} {' '.join(command[1:])} exited {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def inspect(self, *names: str, kind: str = "container") -> list[dict]:
        return json.loads(self.run(kind, "inspect", *names).stdout)

    def label(self, image: str) -> str | None:
        if self.run("image", "exists", image, check=False).returncode != 0:
            return None
        return (self.inspect(image, kind="image")[0].get("Labels") or {}).get(RECIPE_LABEL)

    def remove_everything(self) -> None:
        """What an earlier run left (it may have been killed): containers, volumes, networks,
        and the untagged images of earlier builds once three days old (the recent ones are the
        layer cache). Only in the test's own storage; the tagged images are the cache."""
        self.run("rm", "--all", "--force", "--volumes", check=False)
        self.run("volume", "prune", "--force", check=False)
        self.run("network", "prune", "--force", check=False)
        self.run("image", "prune", "--force", "--filter", "until=72h", check=False)

    def make_stand_ins(self) -> None:
        """The base and the stand-ins, unless CACHE holds them for this recipe."""
        wanted = recipe()
        stand_ins = named_images()
        if all(self.label(name) == wanted for name in stand_ins):
            return
        if self.label(BASE_IMAGE) != wanted:
            with tempfile.TemporaryDirectory(dir=CACHE) as rootfs:
                made = subprocess.run([*DEBOOTSTRAP, rootfs], capture_output=True, text=True)
                assert made.returncode == 0, f"debootstrap failed:\n{made.stdout[-3000:]}"
                # apt's downloads and lists: the stand-ins' own apt-get update fetches them.
                for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
                    for path in (Path(rootfs) / leftover).glob("*"):
                        if path.is_file():
                            path.unlink()
                with subprocess.Popen(
                    ["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE
                ) as archive:
                    self.run(
                        "import",
                        "--change",
                        f"LABEL {RECIPE_LABEL}={wanted}",
                        "-",
                        BASE_IMAGE,
                        stdin=archive.stdout,
                    )
                assert archive.returncode == 0
        for name, kind in stand_ins.items():
            self.run(
                "build",
                *BUILD_ARGS,
                "--label",
                f"{RECIPE_LABEL}={wanted}",
                "--tag",
                name,
                "--file",
                str(IMAGES / f"{kind}.Containerfile"),
                str(IMAGES),
            )

    def build_portal(self) -> str:
        """The portal's image, built from the Dockerfile under the compose file's name."""
        image = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["portal"]["image"]
        self.run("build", *PORTAL_BUILD_ARGS, "--tag", image, ".")
        return image


@contextlib.contextmanager
def exclusive_cache() -> Iterator[Podman]:
    """The test's podman, one run at a time on this machine (they share CACHE and the ports)."""
    check_tools()
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        podman = Podman()
        podman.remove_everything()
        check_ports()
        yield podman


class Stack:
    """The compose file's `dev` profile, up: its containers by service, health checks run."""

    def __init__(self, podman: Podman) -> None:
        self.podman = podman

    def container(self, service: str) -> str:
        """The name of the service's container (podman-compose labels it with the service)."""
        names = self.podman.run(
            "ps",
            "--all",
            "--format",
            "{{.Names}}",
            "--filter",
            f"label=com.docker.compose.service={service}",
        ).stdout.split()
        assert len(names) == 1, f"{service}: containers {names}"
        return names[0]

    def inspect(self, service: str) -> dict:
        return self.podman.inspect(self.container(service))[0]

    def wait_healthy(self, service: str, timeout: float = 180) -> None:
        """Run the service's health check until it passes, as the engine's timer would."""
        name, deadline = self.container(service), time.monotonic() + timeout
        while self.podman.run("healthcheck", "run", name, check=False).returncode != 0:
            if time.monotonic() > deadline:
                logs = self.podman.run("logs", "--tail", "30", name, check=False)
                raise AssertionError(
                    f"{service} not healthy after {timeout}s:\n{logs.stdout}{logs.stderr}"
                )
            time.sleep(1)

    def exec(self, service: str, *command: str, check: bool = True):
        return self.podman.run("exec", self.container(service), *command, check=check)

    def started_at(self, service: str) -> str:
        return self.inspect(service)["State"]["StartedAt"]

    def logs(self) -> str:
        """Every container's output, for a failing test's report."""
        return self.podman.compose("logs", check=False, timeout=60).stdout
