"""The docs followed word for word: every shell and Python block of README.md and of every page
of the documentation site (docs/*.md) runs, in order, against a stack started by `make run`
itself.

How, as docs/running.md's "The docs are tested" says:
- the stack is `make run PORT=... ACCESS_SERVICE_PORT=... REDIS_PORT=...` on free ports, and in
  every block the port numbers 5000, 9000 and 6379 become those (nothing else is changed);
- each file's blocks run in order, as in one terminal: a block's environment is what the blocks
  before it set, starting from a new terminal's (no portal setting, no activated venv);
- a `sh` block runs under `bash -euo pipefail`, a `python` block is saved in the repository's
  folder and run with `.venv/bin/python`; both must exit 0;
- a block fenced `sh server` starts a server: it must come up on every port the block names
  (other ports than the stack's move to free ones too), then gets a Ctrl-C and must stop;
- a block fenced `sh notest` is not run, and may only hold `make` and `docker compose` commands,
  after variable assignments (the stack and the suite themselves, or a Docker engine);
- a block fenced `sh after-approval` follows the prose's "approve approvalClientApplication in a
  browser": the test first does that with the scripted sign-in agent, as alex.
The blocks run in a scratch folder that mirrors the repository (links to its files, without
`.env`), so what they create stays out of the working tree. Last, the stack gets a Ctrl-C and
must leave nothing running.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.agent import SignInAgent
from tests.support.auth import sign_in
from tests.support.docs import Block, blocks
from tests.support.make_run import MakeRun, distinct_free_ports
from tests.support.processes import ROOT, VENV_BIN, free_port, wait_for_port

# README.md, then the site's pages in the order of its table of contents (docs/index.md).
TOCTREE = re.compile(r"```\{toctree\}\n(?::.*\n)*\n?((?:[\w/-]+\n)+)```")
PAGES = TOCTREE.search((ROOT / "docs" / "index.md").read_text()).group(1).split()
DOCS = ("README.md", "docs/index.md", *(f"docs/{page}.md" for page in PAGES))
SHELL, PYTHON = ("sh", "bash", "shell"), ("python", "py")
DEFAULT_PORTS = {"5000": "PORT", "9000": "ACCESS_SERVICE_PORT", "6379": "REDIS_PORT"}
PORT = re.compile(
    r"(?:(?<=127\.0\.0\.1:)|(?<=localhost:)|(?<=--port )|(?<=--port=)|(?<=PORT=))(\d{2,5})\b"
)
NOTEST_COMMAND = re.compile(r"(?:[A-Z_]+=\S+ )*(?:make|docker compose)( |$)")
BLOCK_TIMEOUT = 120


def runnable(path: str) -> list[Block]:
    """The shell and Python blocks that run (not `notest`, and not a file of the forking
    walk-through, which tests/e2e/test_fork.py writes into a fork and serves)."""
    return [
        block
        for block in blocks(path)
        if block.language in SHELL + PYTHON
        and "notest" not in block.modifiers
        and block.file is None
    ]


ALL_RUNNABLE = [block for path in DOCS for block in runnable(path)]


def test_every_page_of_the_site_is_run():
    pages = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "docs").glob("*.md"))
    assert len(pages) >= 10 and sorted(DOCS[1:]) == pages


def test_files_of_a_fork_are_only_on_the_forking_page():
    """tests/e2e/test_fork.py follows docs/forking.md; a file block elsewhere would go untested."""
    files = {block.path for path in DOCS for block in blocks(path) if block.file is not None}
    assert files == {"docs/forking.md"}


def test_every_block_is_labelled_and_notest_hides_no_command():
    every = [block for path in DOCS for block in blocks(path)]
    assert [block.id for block in every if not block.language] == []
    assert len(ALL_RUNNABLE) >= 8
    skipped = [block for block in every if "notest" in block.modifiers]
    for block in skipped:
        commands = [line.strip() for line in block.text.splitlines() if line.strip()]
        assert all(NOTEST_COMMAND.match(command) for command in commands), block.id


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[MakeRun]:
    """`make run` on free ports, for every block of this module."""
    run = MakeRun(ROOT, tmp_path_factory.mktemp("make-run") / "make-run.log", VENV_BIN).start()
    yield run
    run.stop()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A folder that looks like the repository's root (links to its files), without `.env`."""
    folder = tmp_path_factory.mktemp("docs")
    for entry in ROOT.iterdir():
        if entry.name not in (".env", ".git", ".run", ".pytest_cache", "instance"):
            (folder / entry.name).symlink_to(entry)
    return folder


@pytest.fixture(scope="module")
def terminals(stack) -> dict[str, dict[str, str]]:
    """One terminal's environment per file, carried from block to block."""
    return {path: dict(stack.env) for path in DOCS}


def with_ports(block: Block, stack: MakeRun) -> str:
    """The block with the stack's ports in place of 5000, 9000 and 6379; in a server block, any
    other port moves to a free one."""
    moved: dict[str, str] = {}

    def port(match: re.Match) -> str:
        number = match.group(1)
        if number in DEFAULT_PORTS:
            return str(stack.ports[DEFAULT_PORTS[number]])
        if "server" in block.modifiers:
            return moved.setdefault(number, str(free_port()))
        return number

    return PORT.sub(port, block.text)


def run_shell(text: str, environ: dict[str, str], cwd: Path) -> tuple[str, dict[str, str]]:
    """Run text under bash -euo pipefail; return its output and the environment it leaves.

    `set -a` exports every variable the block sets, so the next block sees it, as the next
    command in one terminal would."""
    env_file = cwd / ".docs-env"
    script = f'set -a -euo pipefail\n{text}\nenv -0 > "{env_file}"\n'
    output = run_block(["bash", "-c", script], text, environ, cwd)
    pairs = env_file.read_text().split("\0")
    env_file.unlink()
    return output, dict(pair.split("=", 1) for pair in pairs if "=" in pair)


def run_python(text: str, environ: dict[str, str], cwd: Path, name: str) -> str:
    """Save text in the repository's folder and run it with the venv's Python."""
    script = cwd / name
    script.write_text(text)
    return run_block([str(cwd / ".venv" / "bin" / "python"), script.name], text, environ, cwd)


def run_block(command: list[str], text: str, environ: dict[str, str], cwd: Path) -> str:
    """Run one block's command; return its output, or fail showing the block and the output."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"exit {result.returncode}:\n{text}\n---\n{output[-3000:]}"
    return output


def approve_in_a_browser(stack: MakeRun) -> None:
    """What the prose asks before an `after-approval` block: alex approves
    approvalClientApplication on the emulator's approval page (the document's redirect URI)."""
    query = (
        "response_type=code&client_id=approvalClientApplication"
        "&redirect_uri=https%3A%2F%2Fmy-application-url%2Fauthcallback"
    )
    back = SignInAgent().authorize(f"{stack.access_service_url}/api/oauth/authorize?{query}")
    assert back.startswith("https://my-application-url/authcallback?code="), back


def run_server(text: str, environ: dict[str, str], cwd: Path) -> None:
    """Start the block, wait for every port it names, Ctrl-C it, and see it stop."""
    ports = [int(number) for number in PORT.findall(text)]
    assert ports, f"a server block names no port:\n{text}"
    log = cwd / ".docs-server.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            ["bash", "-c", text],
            cwd=cwd,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            for port in ports:
                wait_for_port(port, timeout=60)
            assert server.poll() is None, log.read_text()[-3000:]
        finally:
            os.killpg(server.pid, signal.SIGINT)  # Ctrl-C
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
                pytest.fail(f"Ctrl-C did not stop:\n{text}")


@pytest.mark.parametrize("block", ALL_RUNNABLE, ids=[block.id for block in ALL_RUNNABLE])
def test_block_runs_as_written(block, stack, scratch, terminals):
    text = with_ports(block, stack)
    terminal = terminals[block.path]
    if "after-approval" in block.modifiers:
        approve_in_a_browser(stack)
    if "server" in block.modifiers:
        run_server(text, terminal, scratch)
    elif block.language in PYTHON:
        run_python(text, terminal, scratch, f"docs_block_{block.line}.py")
    else:
        _, left = run_shell(text, terminal, scratch)
        terminal.clear()
        terminal.update(left)


def make(target: str, stack: MakeRun) -> str:
    """`make TARGET ACCESS_SERVICE_PORT=...` in the repository, as docs/operations.md says."""
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            target,
            f"ACCESS_SERVICE_PORT={stack.ports['ACCESS_SERVICE_PORT']}",
        ],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_emulator_goes_down_and_comes_back_as_the_operations_page_says(stack):
    """What docs/operations.md tells of `make emulator-down` and `make emulator-up`."""
    browser = sign_in(stack.portal_url)
    assert browser.get(stack.portal_url + "/account", timeout=10).status_code == 200
    assert "Redis and the portal run on" in make("emulator-down", stack)
    try:
        profile = browser.get(stack.portal_url + "/profile", timeout=10)
        assert profile.status_code == 200 and "Hello, Alex Originator" in profile.text
        account = browser.get(stack.portal_url + "/account", timeout=20)
        assert account.status_code == 503 and "Cocoon Data is unavailable" in account.text
        assert requests.get(stack.portal_url + "/readyz", timeout=10).status_code == 200
    finally:
        assert "is back" in make("emulator-up", stack)
    account = browser.get(stack.portal_url + "/account", timeout=10)
    assert account.status_code == 200 and "alex.originator@xy-company.com" in account.text


def test_make_run_prints_the_moved_url_and_signs_in(stack):
    assert stack.banner_url() == stack.portal_url
    browser = sign_in(stack.portal_url)
    assert browser.landed_on == "/profile"
    profile = browser.get(stack.portal_url + "/profile", allow_redirects=False, timeout=10)
    assert profile.status_code == 200 and "alex.originator@xy-company.com" in profile.text


def held(port: int) -> socket.socket | None:
    """A socket listening on port, or None when something else holds it."""
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", port))
    except OSError:
        holder.close()
        return None
    holder.listen()
    return holder


def test_a_taken_port_is_named_with_a_free_one_to_move_it_to(tmp_path):
    """Redis' port and the next one are both taken: the message suggests one that is free."""
    portal, access_service, redis = distinct_free_ports(3)
    holders = [held(redis), held(redis + 1)]
    try:
        result = subprocess.run(
            [
                *("make", "--no-print-directory", "run", f"PORT={portal}"),
                *(f"ACCESS_SERVICE_PORT={access_service}", f"REDIS_PORT={redis}"),
            ],
            cwd=ROOT,
            env=MakeRun(ROOT, tmp_path / "unused.log", VENV_BIN).env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        for holder in holders:
            if holder is not None:
                holder.close()
    assert result.returncode != 0
    assert f"port {redis} (Redis) is already in use" in result.stderr
    suggested = re.search(r"`make run REDIS_PORT=(\d+)` \(free now\)", result.stderr)
    assert suggested, result.stderr
    port = int(suggested.group(1))
    assert port > redis + 1 and port not in (portal, access_service)
    holder = held(port)
    assert holder is not None, f"the suggested port {port} is taken"
    holder.close()


def test_one_ctrl_c_stops_everything_and_leaves_nothing_running(stack):
    """Last in this module: it stops the stack."""
    running = stack.descendants()
    assert len(running) >= 5  # honcho, its readers, redis, the emulator, gunicorn and workers
    os.killpg(stack.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends to the group
    stack.proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in running):
        time.sleep(0.1)
    assert [pid for pid in running if Path(f"/proc/{pid}").exists()] == []
    for port in stack.ports.values():
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
