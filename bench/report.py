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

from bench.scenarios import SessionSize, SignIns, Storm, Throughput, shape
from tests.support.processes import redis_server_binary

# /profile: the one-read ceiling's server CPU per request over its own, by the setting's first
# words (one Redis, or a Redis Cluster, whose ceiling's GET costs its client more).
TARGETS = {"one Redis": 1.0, "Redis Cluster": 0.95}
SIZE_TARGET = 0.6  # Redis memory of a session over its tokens' bytes


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


def cpu_ratio(pages: Throughput, target: str) -> float:
    """The one-read ceiling's server CPU per request over target's: 1.0 costs the same."""
    return pages.cpu("one-read") / pages.cpu(target)


def _pages(title: str, pages: Throughput) -> list[str]:
    lines = [
        f"### {title}",
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
            f"| {pages.cpu(name) * 1e6:,.0f} µs | {cpu_ratio(pages, name):.2f} |"
        )
    ratio = cpu_ratio(pages, "profile")
    target = next(value for words, value in TARGETS.items() if title.startswith(words))
    lines += [
        "",
        f"**`/profile` costs {ratio:.2f} of the one-read ceiling's server CPU per request** "
        f"(target {target}: {'met' if ratio >= target else 'NOT met'}); its throughput is "
        f"{pages.ratio('profile', 'one-read'):.2f} of the ceiling's (per round "
        f"{min(pages.round_ratios('profile', 'one-read')):.2f} to "
        f"{max(pages.round_ratios('profile', 'one-read')):.2f}). Rounds run again for the "
        f"accept race: {_reruns(pages)}.",
        "",
    ]
    return lines


def costs_table(costs: dict[str, float]) -> list[str]:
    """The Markdown lines of the in-process costs table; costs are µs per request, by name (as
    bench/costs.py's measure returns them)."""
    over_bare = {name: costs[name] - costs["bare"] for name in ("healthz", "floor", "profile")}
    rows = [
        ("bare Flask route (the ceilings' own work)", costs["bare"]),
        ("portal `/healthz`, no session: the fixed cost over bare", over_bare["healthz"]),
        ("portal `/healthz` with the session (the floor), over bare", over_bare["floor"]),
        ("portal `/profile`, over bare", over_bare["profile"]),
        ("- the page: `/profile` over the floor", costs["profile"] - costs["floor"]),
        ("  - of which the profile view and its template", costs["profile view and template"]),
        (
            "- the portal's middleware and hooks around a bare route (access line, metrics, "
            "request id, proxy fix, security headers, route note, HEAD guard)",
            costs["plumbing"] - costs["bare"],
        ),
        ("  - of which the access line and the metrics", costs["access line and metrics"]),
        ("- the session, from the worker's cache", costs["session from the cache"]),
        (
            "one Redis GET, client side (what the one-read ceiling adds, less Redis itself)",
            costs["one Redis GET (client side)"],
        ),
    ]
    return [
        "| cost | µs per request |",
        "|---|---:|",
        *(f"| {label} | {value:,.0f} |" for label, value in rows),
        "",
    ]


def write(
    path: str,
    wrk: str,
    command: str,
    settings: dict[str, str],
    runs: dict[str, Throughput],
    sign_ins: SignIns,
    size: SessionSize,
    storms: dict[str, Storm],
    costs: dict[str, float],
) -> str:
    """Write the results to path and return them."""
    first = next(iter(runs.values()))
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
        "## 1. Signed-in page: server CPU and throughput",
        "",
        "`/profile` with a valid session against two ceilings and the portal's own floor, "
        f"{len(first.rounds['profile'])} rounds interleaved (the order rotates each round).",
        "Server CPU is the CPU time of the app's gunicorn processes and of Redis per request, read",
        "from /proc: it hardly moves when other programs share the machine, requests/s does.",
        "Ratios of requests/s are medians of the per-round ratios. The ceilings answer a body as",
        f"long as the profile page ({first.bytes_per_request['profile']:,.0f} bytes a response on",
        f"the wire); the one-read ceiling GETs a value of {size.strlen:,} bytes, the size of a",
        "real session (see 3). The portal's floor is its own `/healthz` on the same session: what",
        "every request pays (session, access line, metrics, security headers, hooks), with no",
        "page. A round in which one gunicorn worker took nearly all of wrk's connections (the",
        "least busy did under half the work of the busiest) measures the accept race: run again.",
        "",
        "| setting | `/profile`: one-read CPU / its CPU | `/profile`: requests/s of one-read "
        "| floor: one-read CPU / its CPU |",
        "|---|---:|---:|---:|",
        *(
            f"| {title} | **{cpu_ratio(pages, 'profile'):.2f}** "
            f"| {pages.ratio('profile', 'one-read'):.2f} | {cpu_ratio(pages, 'floor'):.2f} |"
            for title, pages in runs.items()
        ),
        "",
    ]
    for title, pages in runs.items():
        lines += _pages(title, pages)
    lines += [
        "Servers (the settings come from `config/gunicorn.conf.py`):",
        "",
        *(f"    {name}: {value}" for name, value in settings.items()),
        "",
        "Load (wrk, a separate process), e.g.:",
        "",
        *(f"    {command}" for command in first.commands.values()),
        "",
        "### Where the time goes",
        "",
        "Measured in-process (the CPU of WSGI calls made without HTTP, so gunicorn's share is",
        "left out): the bare route, the portal's costs over it, and some of those costs alone.",
        "",
        *costs_table(costs),
        "## 2. The full sign-in dance",
        "",
        f"{sign_ins.threads} clients, each sign-in with a new cookie jar: portal `/login`, the",
        "emulator's authorize, sign-in form and redirect, the portal's `/authcallback` (code",
        "exchange and token signature check). Portal and emulator share the machine.",
        "",
        f"- {sign_ins.per_second:,.1f} sign-ins/s ({sign_ins.completed} in "
        f"{sign_ins.seconds:.1f} s)",
        f"- one sign-in costs the time of **{first.median('profile') / sign_ins.per_second:,.0f}"
        "** signed-in `/profile` requests",
        "",
        *size_lines(size),
        "## 4. The concurrent-refresh storm",
        "",
        "Emulator with `--access-token-validity 3`; 2 portal instances of 2 workers each sharing",
        "one store; one session; after the access token expired, 40 concurrent `/profile`",
        "requests spread over both instances; three storms in a row.",
        "",
        *(
            f"- {title}: refresh requests at the emulator per storm "
            f"**{', '.join(map(str, storm.refreshes))}** (expected: 1 each); answers: "
            f"{'; '.join(_statuses(s) for s in storm.statuses)}"
            for title, storm in storms.items()
        ),
        "",
    ]
    text = "\n".join(lines)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as results:
        results.write(text)
    return text


def size_lines(size: SessionSize) -> list[str]:
    """Section 3: the Redis bytes of a signed-in session, key by key, and the keys left."""
    return [
        "## 3. Redis bytes per signed-in session",
        "",
        f"- MEMORY USAGE of every key the session keeps: **{size.memory_usage:,} bytes** "
        f"(the session value: {size.strlen:,} bytes): "
        + ", ".join(f"`{key}` {used:,}" for key, used in size.per_key.items()),
        f"- the tokens it holds: access token {size.access_token:,} + refresh token "
        f"{size.refresh_token:,} = {size.token_bytes:,} bytes (password grant at the emulator)",
        f"- everything the session keeps / its tokens: **{size.memory_usage / size.token_bytes:.2f}"
        f"** in Redis memory (target {SIZE_TARGET})",
        f"- `portal:*` keys before sign-in: {len(size.keys_before)}; while signed in: "
        f"{', '.join(f'`{shape(k)}`' for k in size.keys_signed_in) or 'none'}",
        f"- `portal:*` keys left after sign-out: **{len(size.keys_after)}**"
        + _ratelimit_note(size.keys_after),
        "",
    ]


def _reruns(pages: Throughput) -> str:
    counts = [f"{name} {count}" for name, count in pages.reruns.items() if count]
    return ", ".join(counts) if counts else "none"


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
