"""The results of one run (bench/out/results.md, or bench/results.md when asked): the machine,
the date, the commands and the figures."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.scenarios import SessionSize, SignIns, Storm, Throughput
from tests.support.processes import redis_server_binary

TARGET = 0.85  # /profile against the one-read ceiling


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _output(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except OSError:
        return "unknown"
    return (done.stdout or done.stderr).strip().splitlines()[0]


def machine(wrk: str) -> list[str]:
    """One line per fact about where the figures were measured."""
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        f"- CPUs (nproc): {len(os.sched_getaffinity(0))}, {_cpu_model()}",
        f"- {platform.system()} {platform.release()}, {platform.machine()}",
        f"- Python {sys.version.split()[0]}, Flask {version('flask')}, "
        f"gunicorn {version('gunicorn')}, redis-py {version('redis')}",
        f"- {_output([redis_server_binary(), '--version'])}",
        f"- {_output([wrk, '--version'])}",
        f"- load average when the report was written: {load} (other programs share the machine)",
    ]


def _rps(values: list[float]) -> str:
    return " / ".join(f"{value:,.0f}" for value in values)


def write(
    path: str,
    wrk: str,
    command: str,
    settings: dict[str, str],
    pages: Throughput,
    sign_ins: SignIns,
    size: SessionSize,
    storm: Storm,
) -> str:
    """Write the results to path and return them."""
    one_read = pages.ratio("profile", "one-read")
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench`); every figure is from the run below. Each is",
        "a ratio against a baseline served in the same run, by the same gunicorn settings on the",
        "same machine: absolute numbers on shared machines mean little.",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}` on:",
        "",
        *machine(wrk),
        "",
        "## 1. Signed-in page throughput",
        "",
        "`/profile` with a valid session against two ceilings and the portal's own floor, "
        f"{len(pages.rounds['profile'])} rounds interleaved (the order",
        "rotates each round). Ratios are medians of the per-round ratios. The ceilings answer a",
        "body as long as the profile page "
        f"({pages.bytes_per_request['profile']:,.0f} bytes a response on the wire); the one-read",
        f"ceiling GETs a value of {size.strlen:,} bytes, the size of a real session (see 3).",
        "Server CPU is the CPU time of the app's gunicorn processes and of Redis per request, read",
        "from /proc: it hardly moves when other programs share the machine, requests/s does.",
        "The portal's floor is its own `/healthz` on the same session: the session read, access",
        "line, metrics and security headers every request pays, with no page (and a short body).",
        "A round in which one gunicorn worker took nearly all of wrk's connections (the least",
        "busy worker did under half the work of the busiest) measures the accept race, not the",
        f"app, and was run again: {_reruns(pages)}.",
        "",
        "| target | requests/s (median) | each round | of bare | of one-read "
        "| server CPU/request | one-read CPU / this |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in (
        ("bare", "bare Flask route"),
        ("one-read", "bare route + one Redis GET"),
        ("floor", "portal floor: `/healthz` with the session"),
        ("profile", "portal `/profile`"),
    ):
        lines.append(
            f"| {label} | {pages.median(name):,.0f} | {_rps(pages.rounds[name])} "
            f"| {pages.ratio(name, 'bare'):.2f} | {pages.ratio(name, 'one-read'):.2f} "
            f"| {pages.cpu(name) * 1e6:,.0f} µs | {pages.cpu('one-read') / pages.cpu(name):.2f} |"
        )
    ratios = pages.round_ratios("profile", "one-read")
    lines += [
        "",
        f"**`/profile` holds {one_read:.2f} of the one-read ceiling** (target {TARGET}: "
        f"{'met' if one_read >= TARGET else 'NOT met'}); per round "
        f"{min(ratios):.2f} to {max(ratios):.2f}.",
        "",
        f"The portal's floor alone holds {pages.ratio('floor', 'one-read'):.2f} of the one-read "
        f"ceiling; `/profile` holds {pages.ratio('profile', 'floor'):.2f} of the floor (the page",
        "itself: sign-in check, view and template).",
        "",
        "Servers (portal and baseline alike; the settings come from `config/gunicorn.conf.py`):",
        "",
        *(f"    {command}" for command in settings.values()),
        "",
        "Load (wrk, a separate process):",
        "",
        *(f"    {command}" for command in pages.commands.values()),
        "",
        "## 2. The full sign-in dance",
        "",
        f"{sign_ins.threads} clients, each sign-in with a new cookie jar: portal `/login`, the",
        "emulator's authorize, sign-in form and redirect, the portal's `/authcallback` (code",
        "exchange and token signature check). Portal and emulator share the machine.",
        "",
        f"- {sign_ins.per_second:,.1f} sign-ins/s ({sign_ins.completed} in "
        f"{sign_ins.seconds:.1f} s)",
        f"- one sign-in costs the time of **{pages.median('profile') / sign_ins.per_second:,.0f}"
        "** signed-in `/profile` requests",
        "",
        "## 3. Redis bytes per signed-in session",
        "",
        f"- session value (STRLEN): **{size.strlen:,} bytes**; MEMORY USAGE of the key: "
        f"{size.memory_usage:,} bytes",
        f"- the tokens it holds: access token {size.access_token:,} + refresh token "
        f"{size.refresh_token:,} = {size.token_bytes:,} bytes (password grant at the emulator)",
        f"- session / tokens: **{size.strlen / size.token_bytes:.2f}**",
        f"- `portal:*` keys before sign-in: {len(size.keys_before)}; while signed in: "
        f"{', '.join(_shape(k) for k in size.keys_signed_in) or 'none'}",
        f"- `portal:*` keys left after sign-out: **{len(size.keys_after)}**"
        + _ratelimit_note(size.keys_after),
        "",
        "## 4. The concurrent-refresh storm",
        "",
        f"Emulator with `--access-token-validity 3`; {storm.portals} portal instances of 2 "
        "workers each sharing one Redis; one session; after the access token expired,",
        f"{storm.requests} concurrent `/profile` requests spread over both instances; three "
        "storms in a row.",
        "",
        f"- refresh requests at the emulator per storm: **{', '.join(map(str, storm.refreshes))}"
        "** (expected: 1 each)",
        f"- answers: {'; '.join(_statuses(s) for s in storm.statuses)}",
        "",
    ]
    text = "\n".join(lines)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as results:
        results.write(text)
    return text


def _reruns(pages: Throughput) -> str:
    counts = [f"{name} {count}" for name, count in pages.reruns.items() if count]
    return ", ".join(counts) if counts else "none"


def _shape(key: str) -> str:
    """A key with its random part elided: `portal:session:…`."""
    head, _, tail = key.rpartition(":")
    return f"`{head}:…`" if len(tail) > 20 else f"`{key}`"


def _ratelimit_note(keys: list[str]) -> str:
    limits = [key for key in keys if key.startswith("portal:ratelimit")]
    if not limits:
        return ""
    return (
        f" ({len(limits)} of them sign-in rate-limit counters per client address, "
        "which expire with their window; no session key)"
    )


def _statuses(counts: dict[int, int]) -> str:
    # A multiplication sign, meant: the report reads "3 (times) 200" for three answers of 200.
    return ", ".join(f"{count} × {status}" for status, count in counts.items())  # noqa: RUF001
