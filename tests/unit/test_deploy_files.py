"""The deployment files: Dockerfile, .dockerignore, docker-compose.yml and deploy/.

No Docker engine runs here, so these are checked by construction: hadolint, the Compose
specification's JSON schema, and the settings that must agree across files.
"""

from __future__ import annotations

import ipaddress
import json
import re
import runpy
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from cryptography import x509
from werkzeug.security import check_password_hash

from config import Settings
from tests.support.nginx import nginx_binary, write_config

ROOT = Path(__file__).resolve().parents[2]
# The Compose Specification's schema, shipped with the tests (source and licence: its README).
COMPOSE_SCHEMA = ROOT / "tests" / "support" / "schemas" / "compose-spec.json"
DEPLOY = ROOT / "deploy"
NGINX_EXAMPLE = DEPLOY / "nginx" / "portal.example.conf"
NGINX_DEV = DEPLOY / "nginx" / "dev.conf"
DEMO_REDIRECT_URI = "https://localhost/authcallback"
# What an operator fills in portal.env.example's empty secrets with (test values).
FILLED = {
    "SECRET_KEY": "filled-in-secret-key-0123456789abcdef0123",
    "COCOON_CLIENT_ID": "portalClient",
    "COCOON_CLIENT_SECRET": "filled-in-client-secret",
}
# A full X.Y.Z version in the tag, or a digest: never `latest`, never a moving `3.11-slim`.
PINNED_IMAGE = re.compile(r"^[\w./-]+(:[\w.-]*\d+\.\d+\.\d+[\w.-]*|@sha256:[0-9a-f]{64})$")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    joined, current = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        current += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            joined.append(current.strip())
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in joined]


def final_stage() -> list[tuple[str, str]]:
    """The instructions after the last FROM: what the image is."""
    instructions = dockerfile_instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def copied_sources() -> set[str]:
    """What the Dockerfile copies from the build context (not from another stage)."""
    sources = set()
    for name, args in dockerfile_instructions():
        if name in ("COPY", "ADD") and "--from=" not in args:
            words = [w for w in args.split() if not w.startswith("--")]
            sources.update(w.rstrip("/").removeprefix("./") for w in words[:-1])
    return sources


def compose() -> dict:
    """docker-compose.yml as data."""
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def with_defaults(value: str) -> str:
    """Compose interpolation with no variable set: `${NAME:-default}` becomes default."""
    return re.sub(r"\$\{\w+:?-([^}]*)\}", r"\1", value)


def env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of an env file (comments and blank lines skipped)."""
    pairs = (
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


def size_in_bytes(text: str) -> int:
    """An nginx size such as 16k."""
    units = {"k": 1024, "m": 1024 * 1024}
    return int(text[:-1]) * units[text[-1].lower()] if text[-1].isalpha() else int(text)


# Dockerfile


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.exists(), f"no hadolint next to {sys.executable}: install requirements-dev.txt"
    command = [str(hadolint), "--no-color", "--format=json", "--failure-threshold=style"]
    result = subprocess.run(
        [*command, "Dockerfile"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [] and result.returncode == 0, findings or result.stderr


def test_base_images_are_pinned() -> None:
    images = [args.split()[0] for name, args in dockerfile_instructions() if name == "FROM"]
    assert len(images) >= 2, "expected a multi-stage build"
    assert [image for image in images if not PINNED_IMAGE.match(image)] == []


def test_final_stage_runs_as_a_fixed_non_root_user() -> None:
    users = [args for name, args in final_stage() if name == "USER"]
    assert users, "the final stage has no USER: the container would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, f"USER {users[-1]}: want a fixed non-root UID"


def test_final_stage_checks_healthz_and_starts_gunicorn_from_its_conf() -> None:
    stage = dict(final_stage())
    assert "HEALTHCHECK" in stage and "/healthz" in stage["HEALTHCHECK"]
    port = re.search(r"127\.0\.0\.1:(\d+)/healthz", stage["HEALTHCHECK"]).group(1)
    env = " ".join(args for name, args in final_stage() if name == "ENV")
    assert f'GUNICORN_CMD_ARGS="--bind 0.0.0.0:{port}"' in env
    assert port in stage["EXPOSE"].split()
    assert json.loads(stage["CMD"]) == ["gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"]


def test_image_gets_runtime_requirements_only_and_no_secret() -> None:
    text = " ".join(args for _, args in dockerfile_instructions())
    assert "requirements-dev" not in text
    assert "-r requirements.txt" in text and "--no-cache-dir" in text
    env_names = re.findall(
        r"(\w+)=", " ".join(a for n, a in dockerfile_instructions() if n in ("ENV", "ARG"))
    )
    assert [n for n in env_names if re.search(r"SECRET|PASSWORD|TOKEN|_KEY", n)] == []


def test_every_copied_path_exists_and_is_in_the_build_context() -> None:
    sources = copied_sources()
    assert [source for source in sources if not (ROOT / source).exists()] == []
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # An allow-list: everything is ignored, then exactly what the Dockerfile copies comes back.
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed == sources
    assert not allowed & {".env", ".git", ".venv", "tests", "instance", "requirements-dev.txt"}


# docker-compose.yml


def test_compose_file_matches_the_compose_specification() -> None:
    assert COMPOSE_SCHEMA.exists(), f"missing {COMPOSE_SCHEMA}"
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    # The schema names draft-07 in a spelling jsonschema does not recognise (no trailing #).
    validator = jsonschema.Draft7Validator(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(compose())
    ]
    assert errors == []


def test_compose_pulls_pinned_images_and_builds_the_rest() -> None:
    services = compose()["services"]
    assert {"portal", "redis", "access-service", "nginx"} <= services.keys()
    for name, service in services.items():
        if "build" not in service:
            assert PINNED_IMAGE.match(service["image"]), f"{name}: {service['image']} unpinned"


def test_redis_persists_and_is_health_checked() -> None:
    redis = compose()["services"]["redis"]
    assert "--appendonly yes" in " ".join(redis["command"])
    assert any(volume.split(":")[1] == "/data" for volume in redis["volumes"])
    assert "ping" in redis["healthcheck"]["test"]


def test_only_the_emulator_is_in_the_dev_profile() -> None:
    services = compose()["services"]
    assert services["access-service"]["profiles"] == ["dev"]
    assert [name for name, s in services.items() if "profiles" in s] == ["access-service"]


# Who waits for whom, and for what: Redis answers before the portal and the emulator start,
# nginx starts once the certificate is written and the portal answers its health check.
WAITS = {
    "portal": {"redis": "service_healthy"},
    "access-service": {"redis": "service_healthy"},
    "nginx": {"tls-cert": "service_completed_successfully", "portal": "service_healthy"},
}


def test_the_services_wait_for_what_they_need() -> None:
    services = compose()["services"]
    waits = {
        name: {target: rule["condition"] for target, rule in service["depends_on"].items()}
        for name, service in services.items()
        if "depends_on" in service
    }
    assert waits == WAITS


def mounts(service: dict) -> dict[str, str]:
    """A service's volumes as {path in the container: what is mounted there}."""
    return {volume.split(":")[1]: volume.split(":")[0] for volume in service.get("volumes", [])}


def test_the_volumes_that_must_be_there_are() -> None:
    data = compose()
    services = data["services"]
    named = set(data["volumes"])
    # Redis' append-only file, the emulator's signing key and the certificate outlive their
    # containers, each in a named volume of its own.
    assert mounts(services["redis"])["/data"] == "redis-data"
    emulator = services["access-service"]
    key_folder = str(Path(emulator["environment"]["ACCESS_SERVICE_SIGNING_KEY"]).parent)
    assert mounts(emulator)[key_folder] == "access-service-key"
    data_file = emulator["environment"]["ACCESS_SERVICE_DATA"]
    assert mounts(emulator)[data_file] == "./deploy/access-service/demo-data.json"
    # The certificate tls-cert writes is the one nginx reads, with dev.conf as its site.
    cert_folder = services["tls-cert"]["command"][-1]
    assert mounts(services["tls-cert"])[cert_folder] == "tls-cert"
    assert mounts(services["nginx"])["/etc/nginx/certs"] == "tls-cert"
    conf = mounts(services["nginx"])["/etc/nginx/templates/default.conf.template"]
    assert ROOT / conf == NGINX_DEV
    used = {source for s in services.values() for source in mounts(s).values()}
    assert named == {"redis-data", "access-service-key", "tls-cert"} == named & used


def test_waits_are_on_services_that_can_be_waited_for() -> None:
    services = compose()["services"]
    for name, service in services.items():
        for target, rule in (service.get("depends_on") or {}).items():
            assert "profiles" not in services[target], f"{name} needs {target} in every profile"
            if rule["condition"] == "service_healthy":
                # The portal's health check is the Dockerfile's HEALTHCHECK.
                assert "healthcheck" in services[target] or "build" in services[target], target


def test_the_portal_is_given_time_to_finish_its_requests_on_stop() -> None:
    """Docker's and podman's default stop timeout (10 s) is shorter than gunicorn's
    graceful_timeout: requests in flight at a restart would be killed."""
    grace = compose()["services"]["portal"]["stop_grace_period"]
    assert re.fullmatch(r"\d+s", grace)
    conf = (ROOT / "config" / "gunicorn.conf.py").read_text()
    graceful_timeout = int(re.search(r"^graceful_timeout = (\d+)$", conf, re.M)[1])
    assert int(grace.removesuffix("s")) > graceful_timeout


def test_mounted_and_env_files_exist() -> None:
    files = {}  # service: the repository's files it reads (env files and bind mounts)
    for name, service in compose()["services"].items():
        env_files = service.get("env_file", [])
        paths = [env_files] if isinstance(env_files, str) else env_files
        paths = [with_defaults(path) for path in paths]
        paths += [source for source in mounts(service).values() if source.startswith(".")]
        if paths:
            files[name] = {str(Path(path)) for path in paths}
    assert files == {
        "portal": {"deploy/demo.env"},
        "access-service": {"deploy/access-service/demo-data.json"},
        "tls-cert": {"deploy/nginx/make_dev_cert.py"},
        "nginx": {"deploy/nginx/dev.conf", "deploy/nginx/dns-resolver.envsh"},
    }
    for name, paths in files.items():
        for path in paths:
            assert (ROOT / path).is_file(), f"{name}: {path} is missing"


def test_portal_trusts_exactly_the_proxy_address() -> None:
    data = compose()
    nginx_ip = data["services"]["nginx"]["networks"]["cocoon"]["ipv4_address"]
    for name in ("portal", "access-service"):
        assert data["services"][name]["environment"]["FORWARDED_ALLOW_IPS"] == nginx_ip
    pool = data["networks"]["cocoon"]["ipam"]["config"][0]
    address = ipaddress.ip_address(nginx_ip)
    assert address in ipaddress.ip_network(pool["subnet"])
    # Outside the range Docker hands out, so no other container can take it first.
    assert address not in ipaddress.ip_network(pool["ip_range"])


def test_demo_sign_in_is_wired_end_to_end() -> None:
    data = compose()
    demo = env_file(ROOT / with_defaults(data["services"]["portal"]["env_file"]))
    emulator = data["services"]["access-service"]
    assert "0.0.0.0:9000" in emulator["environment"]["GUNICORN_CMD_ARGS"]
    assert demo["COCOON_BACKCHANNEL_URL"] == "http://access-service:9000"
    assert demo["COCOON_ACCESS_SERVICE_URL"] == "https://localhost:9443"
    assert data["services"]["portal"]["environment"]["COCOON_REDIRECT_URI"] == DEMO_REDIRECT_URI
    assert len(demo["SECRET_KEY"]) >= 32  # production mode refuses a shorter one

    mounts = dict(v.split(":")[:2][::-1] for v in emulator["volumes"] if v.startswith("."))
    directory = json.loads(
        (ROOT / mounts[emulator["environment"]["ACCESS_SERVICE_DATA"]]).read_text()
    )
    client = next(c for c in directory["clients"] if c["client_id"] == demo["COCOON_CLIENT_ID"])
    assert DEMO_REDIRECT_URI in client["registered_redirect_uris"]
    assert check_password_hash(client["client_secret_hash"], demo["COCOON_CLIENT_SECRET"])

    # Otherwise the emulator's own demo data, so the demo shows the same user and authorities.
    built_in = json.loads((ROOT / "access_service" / "demo_data.json").read_text())
    for each in directory["clients"]:
        uris = each.get("registered_redirect_uris", [])
        each["registered_redirect_uris"] = [uri for uri in uris if uri != DEMO_REDIRECT_URI]
    for each in built_in["clients"]:
        each.setdefault("registered_redirect_uris", [])
    assert directory == built_in, "deploy/access-service/demo-data.json is out of date"


def stack_settings(env_file_values: dict[str, str]) -> Settings:
    """The portal's settings in the compose stack: the env file, then the compose wiring."""
    wiring = compose()["services"]["portal"]["environment"]
    return Settings.from_env({**env_file_values, **wiring})


def test_the_compose_stack_passes_the_portals_checks_with_either_env_file() -> None:
    """Both env files start a portal in this stack, and it answers to the host nginx passes on
    and sends the redirect URI nginx serves."""
    nginx_hosts = set(re.findall(r"server_name\s+([^;]+);", NGINX_DEV.read_text())[0].split())
    example = env_file(DEPLOY / "portal.env.example")
    filled = {name: value or FILLED.get(name, "") for name, value in example.items()}
    for values in (env_file(DEPLOY / "demo.env"), filled):
        settings = stack_settings(values)
        assert settings.production
        assert nginx_hosts <= set(settings.trusted_hosts)
        assert settings.redirect_uri == DEMO_REDIRECT_URI
        assert urlsplit(settings.redirect_uri).hostname in nginx_hosts


def test_production_env_example_holds_no_secret() -> None:
    example = env_file(DEPLOY / "portal.env.example")
    secret_names = [n for n in example if re.search(r"SECRET|PASSWORD|KEYS?$", n)]
    assert {"SECRET_KEY", "COCOON_CLIENT_SECRET", "TOKEN_ENCRYPTION_KEYS"} <= set(secret_names)
    assert {name: example[name] for name in secret_names if example[name]} == {}
    # Nor a password inside a URL, nor anything that looks generated (a long base64/hex run).
    assert [v for v in example.values() if re.search(r"://[^/@\s]*:[^/@\s]*@", v)] == []
    tokens = [v for v in example.values() if "://" not in v and re.search(r"[\w+/=-]{24,}", v)]
    assert tokens == []


def test_production_env_example_names_every_setting() -> None:
    settings = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r'"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"', settings))  # the variable names
    text = (DEPLOY / "portal.env.example").read_text()
    assert sorted(n for n in read if not re.search(rf"^#? ?{n}=", text, re.M)) == []


# nginx


def test_production_nginx_example() -> None:
    conf = NGINX_EXAMPLE.read_text()
    max_age = re.search(r'Strict-Transport-Security\s+"max-age=(\d+)', conf)
    assert max_age and int(max_age.group(1)) >= 31536000
    assert re.search(r"^\s*server_tokens off;", conf, re.M)
    protocols = re.search(r"ssl_protocols ([^;]+);", conf).group(1).split()
    assert sorted(protocols) == ["TLSv1.2", "TLSv1.3"]
    assert "return 301 https://" in conf
    for header in ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID"):
        assert re.search(rf"proxy_set_header\s+{header}\s", conf), header
    for directive in ("proxy_connect_timeout", "proxy_read_timeout", "proxy_send_timeout"):
        assert directive in conf
    # Room for the platform's ~3 kB tokens in request lines and the portal's redirect headers.
    assert size_in_bytes(re.search(r"large_client_header_buffers \d+ (\w+);", conf)[1]) >= 8192
    assert size_in_bytes(re.search(r"proxy_buffer_size\s+(\w+);", conf)[1]) >= 8192
    assert re.search(r"location = /metrics \{\s*deny all;", conf)
    assert "location = /healthz" in conf and "location = /readyz" in conf


def test_dev_nginx_matches_the_compose_stack() -> None:
    conf = NGINX_DEV.read_text()
    assert re.search(r"^server_tokens off;", conf, re.M)
    assert "add_header Strict-Transport-Security" not in conf  # never HSTS on localhost
    assert re.search(r"location = /metrics \{\s*deny all;", conf)
    assert "http://portal:5000" in conf and "http://access-service:9000" in conf
    nginx = compose()["services"]["nginx"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in nginx["volumes"]}
    # A template of the nginx image: its entrypoint sources the executable
    # /docker-entrypoint.d/*.envsh in order, then (its own 20-envsubst-on-templates.sh) writes
    # templates/NAME.template to conf.d/NAME with the variables they set filled in.
    assert mounts["/etc/nginx/templates/default.conf.template"] == "./deploy/nginx/dev.conf"
    scripts = {
        Path(target).name: source
        for target, source in mounts.items()
        if target.startswith("/docker-entrypoint.d/")
    }
    assert list(scripts.values()) == ["./deploy/nginx/dns-resolver.envsh"]
    assert next(iter(scripts)) < "20-envsubst-on-templates.sh"
    assert next(iter(scripts)).endswith(".envsh")
    assert (ROOT / "deploy/nginx/dns-resolver.envsh").stat().st_mode & 0o111 == 0o111
    assert set(re.findall(r"\$\{(\w+)\}", conf)) == {"NGINX_RESOLVER"}
    assert "export NGINX_RESOLVER" in (DEPLOY / "nginx" / "dns-resolver.envsh").read_text()
    assert "/etc/nginx/certs" in mounts
    for path in re.findall(r"ssl_certificate(?:_key)?\s+(\S+);", conf):
        assert path.rsplit("/", 1)[0] == "/etc/nginx/certs"
        assert path.rsplit("/", 1)[1] in ("localhost.crt", "localhost.key")


@pytest.mark.parametrize(
    "resolv_conf, resolver",
    [
        # podman: its own DNS (on the network's gateway) first, then the host's nameservers,
        # which know nothing of the services' names.
        ("search dns.podman\nnameserver 172.28.53.1\nnameserver 10.255.255.53\n", "172.28.53.1"),
        ("nameserver 127.0.0.11\noptions ndots:0\n", "127.0.0.11"),  # Docker's embedded DNS
        ("# comment\nnameserver fd00::1\nnameserver 10.0.0.2\n", "[fd00::1]"),
    ],
    ids=["podman", "docker", "ipv6"],
)
def test_dev_nginx_resolver_is_the_engines_dns(resolv_conf, resolver, tmp_path: Path) -> None:
    """dns-resolver.envsh, sourced as the nginx image sources it, on a copy of resolv.conf."""
    (tmp_path / "resolv.conf").write_text(resolv_conf)
    script = (DEPLOY / "nginx" / "dns-resolver.envsh").read_text()
    command = "' /etc/resolv.conf)"  # the file the script reads, at the end of its awk line
    assert script.count(command) == 1
    (tmp_path / "script.envsh").write_text(
        script.replace(command, f"' {tmp_path / 'resolv.conf'})")
    )
    result = subprocess.run(
        ["sh", "-c", f". {tmp_path / 'script.envsh'} && sh -c 'echo \"$NGINX_RESOLVER\"'"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    assert result.stdout.strip() == resolver


def test_dev_certificate_is_made_once(tmp_path: Path) -> None:
    make_dev_cert = runpy.run_path(str(DEPLOY / "nginx" / "make_dev_cert.py"))
    make_dev_cert["main"](str(tmp_path))
    cert = (tmp_path / "localhost.crt").read_bytes()
    assert (tmp_path / "localhost.key").stat().st_mode & 0o777 == 0o600
    names = (
        x509.load_pem_x509_certificate(cert)
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value.get_values_for_type(x509.DNSName)
    )
    assert names == ["localhost"]
    make_dev_cert["main"](str(tmp_path))
    assert (tmp_path / "localhost.crt").read_bytes() == cert  # kept, no new browser warning


@pytest.mark.parametrize("conf", [NGINX_DEV, NGINX_EXAMPLE], ids=["dev", "example"])
def test_nginx_accepts_the_config(conf: Path, tmp_path: Path) -> None:
    """`nginx -t` with the nginx installed here (Debian 12's 1.22 in CI), not skipped in CI."""
    result = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(write_config(conf, tmp_path))],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
