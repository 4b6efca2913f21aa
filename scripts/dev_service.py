"""`make run`'s emulated access-service under a supervisor, so that it can be taken down and
brought back while Redis and the portal run on: `make emulator-down`, `make emulator-up`.

honcho stops every process of the Procfile as soon as one exits, so the Procfile does not run
the emulator itself but `python -m scripts.dev_service run NAME PORT -- COMMAND...`, which runs
COMMAND as its child and answers signals:
- SIGUSR1 stops the child (SIGTERM, SIGKILL after 10 s) and keeps waiting;
- SIGUSR2 starts it again, when it is stopped;
- SIGTERM or SIGINT (honcho stopping everything, Ctrl-C) stops it and exits 0;
- a child that exits by itself ends the supervisor with its status (128 + the signal that
  killed it), so honcho stops the rest, as it did before.
The supervisor's pid is in `.run/NAME-PORT.pid` while it runs.

`python -m scripts.dev_service stop NAME PORT` and `start NAME PORT` send those signals and wait
until the port is closed, or answers again; they exit 1 with a message when no supervisor runs
for that port. Development only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".run"
STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL
WAIT = 60.0  # seconds `stop` and `start` wait for the port
HANDLED = {signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT, signal.SIGCHLD}


def pid_file(name: str, port: int) -> Path:
    """Where the supervisor of NAME on PORT notes its pid."""
    return RUN_DIR / f"{name}-{port}.pid"


def _unblock() -> None:
    """In the child, before exec: the signals the supervisor blocks are the child's again."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED)


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, preexec_fn=_unblock)  # safe: this process has no threads


def _stop(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the child has not exited within STOP_GRACE."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _status(returncode: int) -> int:
    """A shell's exit status for a child's return code (negative: killed by that signal)."""
    return 128 - returncode if returncode < 0 else returncode


def supervise(name: str, port: int, command: list[str]) -> int:
    """Run command until told to stop; see the module's docstring. Returns the exit status."""
    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    RUN_DIR.mkdir(exist_ok=True)
    noted = pid_file(name, port)
    noted.write_text(f"{os.getpid()}\n")
    child: subprocess.Popen[bytes] | None = _start(command)
    try:
        while True:
            received = signal.sigwaitinfo(HANDLED).si_signo
            if received in (signal.SIGTERM, signal.SIGINT):
                if child is not None:
                    _stop(child)
                return 0
            if received == signal.SIGUSR1 and child is not None:
                _stop(child)
                child = None
                print(f"{name}: stopped (make emulator-down); make emulator-up brings it back")
                sys.stdout.flush()
            elif received == signal.SIGUSR2 and child is None:
                child = _start(command)
                print(f"{name}: started again (make emulator-up)", flush=True)
            elif received == signal.SIGCHLD and child is not None and child.poll() is not None:
                return _status(child.returncode)
    finally:
        noted.unlink(missing_ok=True)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def control(action: str, name: str, port: int) -> int:
    """`stop` or `start` the supervised NAME on PORT; waits for the port. Returns 0 or 1."""
    what = f"the emulated access-service on port {port}" if name == "access-service" else name
    try:
        pid = int(pid_file(name, port).read_text())
        os.kill(pid, signal.SIGUSR1 if action == "stop" else signal.SIGUSR2)
    except (OSError, ValueError):
        print(
            f"No `make run` with {what} is running from {ROOT}. (Was it started with another "
            "ACCESS_SERVICE_PORT? Give the same one here.)",
            file=sys.stderr,
        )
        return 1
    up = action == "start"
    deadline = time.monotonic() + WAIT
    while _listening(port) != up:
        if time.monotonic() > deadline:
            print(f"{what} is still {'down' if up else 'up'} after {WAIT:.0f} s", file=sys.stderr)
            return 1
        time.sleep(0.1)
    if up:
        print(f"{what.capitalize()} is back.")
    else:
        print(
            f"{what.capitalize()} is down; Redis and the portal run on. "
            "`make emulator-up` brings it back."
        )
    return 0


def main(argv: list[str]) -> int:
    """`run NAME PORT -- COMMAND...`, `stop NAME PORT` or `start NAME PORT`."""
    if len(argv) >= 3 and argv[0] in ("stop", "start"):
        return control(argv[0], argv[1], int(argv[2]))
    if len(argv) >= 5 and argv[0] == "run" and argv[3] == "--":
        return supervise(argv[1], int(argv[2]), argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
