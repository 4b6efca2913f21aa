"""nginx for the tests: one of deploy/nginx's configurations, made runnable on this machine (the
certificate from make_dev_cert.py, its own pid and temp files, chosen ports and upstreams)."""

from __future__ import annotations

import re
import runpy
import shutil
from pathlib import Path

from tests.support.processes import ROOT, Process, wait_for_port
from tests.support.tools import missing

MAKE_DEV_CERT = ROOT / "deploy" / "nginx" / "make_dev_cert.py"


def nginx_binary() -> str:
    """nginx's path (on PATH, else Debian's /usr/sbin/nginx); tools.missing without it."""
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        missing("nginx", "nginx")
    return found


def write_config(conf: Path, folder: Path, replacements: dict[str, str] | None = None) -> Path:
    """nginx.conf in folder, including conf with its certificate paths (and each replacements
    key) replaced; returns its path."""
    runpy.run_path(str(MAKE_DEV_CERT))["main"](str(folder))
    text = re.sub(r"(ssl_certificate\s+)\S+;", rf"\1{folder}/localhost.crt;", conf.read_text())
    text = re.sub(r"(ssl_certificate_key\s+)\S+;", rf"\1{folder}/localhost.key;", text)
    for old, new in (replacements or {}).items():
        assert old in text, f"{old!r} is not in {conf.name}"
        text = text.replace(old, new)
    # dev.conf is a template of the nginx image (docker-compose.yml): its entrypoint fills in
    # ${NGINX_RESOLVER}, the container engine's DNS; here, this machine's loopback.
    text = text.replace("${NGINX_RESOLVER}", "127.0.0.1")
    assert "${" not in text, f"a template variable left in {conf.name}"
    (folder / "site.conf").write_text(text)
    temp_paths = " ".join(
        f"{kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (folder / "nginx.conf").write_text(
        f"pid {folder}/nginx.pid; error_log stderr; events {{}}\n"
        f"http {{ access_log off; {temp_paths} include {folder}/site.conf; }}\n"
    )
    return folder / "nginx.conf"


class Nginx(Process):
    """nginx in the foreground with a configuration from write_config()."""

    def __init__(self, config: Path, port: int):
        self.port = port
        command = [nginx_binary(), "-p", str(config.parent), "-c", str(config)]
        super().__init__([*command, "-g", "daemon off;"], log_path=config.parent / "nginx.log")

    def start(self) -> Nginx:
        super().start()
        self.started_when(lambda: wait_for_port(self.port))
        return self
