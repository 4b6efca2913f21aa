"""`python -m bench`: start the servers, run the four measurements, write the results (to
bench/out/results.md, which git ignores, unless --output names another file)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from pathlib import Path

import redis

from bench import report, scenarios
from bench.load import WrkMissing, ensure_wrk
from bench.servers import COOKIE, Stack

# Not the tracked bench/results.md: a run rewrites that only when asked
# (`make bench RESULTS=bench/results.md`).
RESULTS = Path(__file__).resolve().parent / "out" / "results.md"
SESSION_SIZED_KEY = "bench:session-sized"
STORM_VALIDITY = 3  # seconds an access token lives in the storm


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved wrk rounds")
    parser.add_argument("--seconds", type=int, default=6, help="length of one wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--sign-in-seconds", type=float, default=8.0)
    parser.add_argument("--sign-in-clients", type=int, default=4)
    parser.add_argument("--output", default=str(RESULTS))
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        wrk = ensure_wrk()
    except WrkMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as workdir, Stack(Path(workdir)) as s:
        store_server = s.redis()
        store = redis.Redis.from_url(store_server.url)
        emulator = s.access_service()
        # Sign-ins come fast from one address here: lift the per-address sign-in limit.
        portal = s.app(store_server, emulator, LOGIN_RATE_LIMIT="100000/minute")

        print("3. session size and keys left after sign-out", flush=True)
        size = scenarios.session_size(portal.url, emulator.url, store)

        store.set(SESSION_SIZED_KEY, os.urandom(size.strlen))
        baseline = s.app(
            store_server,
            emulator,
            app="bench.baseline_app:app",
            BENCH_VALUE_KEY=SESSION_SIZED_KEY,
            BENCH_BODY_BYTES=str(len(profile_page(portal.url))),
        )
        browser = scenarios.sign_in(portal.url)
        cookie = f"{COOKIE}={browser.cookies.get(COOKIE)}"
        print("1. signed-in page throughput", flush=True)
        pages = scenarios.throughput(
            wrk,
            {
                "bare": (baseline.url + "/bare", [baseline.pid, store_server.pid]),
                "one-read": (baseline.url + "/one-read", [baseline.pid, store_server.pid]),
                "profile": (portal.url + "/profile", [portal.pid, store_server.pid]),
                # The portal's fixed cost of a request with no page: session read, access
                # line, metrics, security headers (/healthz reads the session the cookie names).
                "floor": (portal.url + "/healthz", [portal.pid, store_server.pid]),
            },
            cookie,
            rounds=args.rounds,
            seconds=args.seconds,
            threads=args.threads,
            connections=args.connections,
        )
        # The session must have served the profile throughout, not a redirect to sign-in.
        assert browser.get(portal.url + "/profile", allow_redirects=False).status_code == 200

        print("2. sign-ins per second", flush=True)
        sign_ins = scenarios.sign_in_rate(portal.url, args.sign_in_seconds, args.sign_in_clients)

        print("4. concurrent-refresh storm", flush=True)
        short_lived = s.access_service("--access-token-validity", str(STORM_VALIDITY))
        # Instances that share sessions must share the token sealing key.
        shared = {"TOKEN_ENCRYPTION_KEYS": portal.env["TOKEN_ENCRYPTION_KEYS"]}
        pair = [s.app(store_server, short_lived, **shared) for _ in range(2)]
        storm = scenarios.refresh_storm([p.url for p in pair], short_lived.url, STORM_VALIDITY)

        settings = {"portal": portal.command, "baseline": baseline.command}
        command = shlex.join(["python", "-m", "bench", *argv])
        text = report.write(args.output, wrk, command, settings, pages, sign_ins, size, storm)
    print(text)
    print(f"written to {args.output}", flush=True)
    return 0


def profile_page(portal_url: str) -> bytes:
    """The body of /profile for a fresh session, to size the baselines' answers."""
    browser = scenarios.sign_in(portal_url)
    page = browser.get(portal_url + "/profile", allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.status_code
    return page.content


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
