"""Load generation: wrk in its own process, so the client never shares an interpreter (or a GIL)
with the servers it measures."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass


class WrkMissing(RuntimeError):
    """wrk is not installed and cannot be installed from here."""


def ensure_wrk() -> str:
    """The path of wrk, installing Debian's package first when running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise WrkMissing("wrk is missing: run `sudo apt-get install -y wrk`, then `make bench`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    found = shutil.which("wrk")
    if not found:
        raise WrkMissing("apt-get installed wrk but it is not on PATH")
    return found


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests_per_second: float
    requests: int
    bytes_read: int
    errors: int  # socket errors, timeouts and non-2xx/3xx answers

    @property
    def bytes_per_request(self) -> float:
        return self.bytes_read / self.requests if self.requests else 0.0


_SIZE = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def parse_wrk(output: str) -> WrkResult:
    """Read wrk's summary: requests/s, requests, bytes read and every kind of error."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read", output)
    if not rps or not total:
        raise ValueError(f"cannot read wrk's output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        requests=int(total.group(1)),
        bytes_read=int(float(total.group(2)) * _SIZE[total.group(3)]),
        errors=errors,
    )


def wrk_command(
    wrk: str,
    url: str,
    seconds: int,
    threads: int,
    connections: int,
    cookie: str | None = None,
) -> list[str]:
    """The wrk command line (also written to the results)."""
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    return [*command, url]


def run_wrk(command: list[str]) -> WrkResult:
    """Run wrk to completion and parse its summary."""
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    return parse_wrk(done.stdout)


def _process_ticks(pgid: int) -> dict[int, tuple[int, int]]:
    """For each live process of a group: (its own CPU ticks, its reaped children's ticks)."""
    found = {}
    for stat in os.scandir("/proc"):
        if not stat.name.isdigit():
            continue
        try:
            with open(f"/proc/{stat.name}/stat") as file:
                fields = file.read().rpartition(")")[2].split()
        except OSError:  # exited meanwhile
            continue
        if int(fields[2]) == pgid:  # fields[0] is the state: pgrp is the 5th field of stat
            own = int(fields[11]) + int(fields[12])  # utime, stime
            found[int(stat.name)] = (own, int(fields[13]) + int(fields[14]))  # cutime, cstime
    return found


def worker_cpu_seconds(pgid: int) -> dict[int, float]:
    """CPU seconds used so far by each process of a group other than its leader (gunicorn's
    workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    return {pid: own / tick for pid, (own, _) in _process_ticks(pgid).items() if pid != pgid}


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds used so far by a process group: its live processes, plus the children its
    leader has reaped (gunicorn's recycled workers). Unlike requests per second, this barely
    moves when other programs share the machine."""
    ticks = 0
    for pid, (own, reaped) in _process_ticks(pgid).items():
        ticks += own + (reaped if pid == pgid else 0)  # the leader's reaped: recycled workers
    return ticks / os.sysconf("SC_CLK_TCK")
