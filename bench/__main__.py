"""`python -m bench`: start the servers, run the measurements, write the results (to
bench/out/results.md, which git ignores, unless --output names another file)."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
from pathlib import Path

import redis
from redis.cluster import ClusterNode, RedisCluster

from bench import costs, report, scenarios
from bench.load import WrkMissing, ensure_wrk
from bench.servers import COOKIE, GunicornApp, Stack
from tests.support.cluster import cluster_binaries

# Not the tracked bench/results.md: a run rewrites that only when asked
# (`make bench RESULTS=bench/results.md`).
RESULTS = Path(__file__).resolve().parent / "out" / "results.md"
SESSION_SIZED_KEY = "bench:session-sized"
STORM_VALIDITY = 3  # seconds an access token lives in the storm
BASELINE = "bench.baseline_app:app"
UNUSED_REDIS_URL = "redis://127.0.0.1:1/0"  # with REDIS_CLUSTER_NODES
# Sign-ins come fast from one address here: lift the per-address sign-in limit.
NO_LIMIT = {"LOGIN_RATE_LIMIT": "100000/minute"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved wrk rounds")
    parser.add_argument("--seconds", type=int, default=6, help="length of one wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--sign-in-seconds", type=float, default=8.0)
    parser.add_argument("--sign-in-clients", type=int, default=4)
    parser.add_argument("--output", default=str(RESULTS))
    parser.add_argument(
        "--only",
        choices=["costs", "size"],
        help="run one part alone and print it: costs (where the time goes, in-process; a "
        "minute), size (a signed-in session's Redis bytes, key by key, and the keys left after "
        "sign-out; seconds)",
    )
    return parser.parse_args(argv)


def pages(
    args: argparse.Namespace,
    wrk: str,
    portal: GunicornApp,
    ceiling: GunicornApp,
    store_pids: list[int],
) -> scenarios.Throughput:
    """/profile and the portal's floor against the bare and one-read ceilings."""
    browser = scenarios.sign_in(portal.url)
    cookie = f"{COOKIE}={browser.cookies.get(COOKIE)}"
    result = scenarios.throughput(
        wrk,
        {
            "bare": (ceiling.url + "/bare", [ceiling.pid, *store_pids]),
            "one-read": (ceiling.url + "/one-read", [ceiling.pid, *store_pids]),
            "profile": (portal.url + "/profile", [portal.pid, *store_pids]),
            # The portal's fixed cost of a request with no page: session read, access line,
            # metrics, security headers (/healthz reads the session the cookie names).
            "floor": (portal.url + "/healthz", [portal.pid, *store_pids]),
        },
        cookie,
        rounds=args.rounds,
        seconds=args.seconds,
        threads=args.threads,
        connections=args.connections,
    )
    # The session must have served the profile throughout, not a redirect to sign-in.
    assert browser.get(portal.url + "/profile", allow_redirects=False).status_code == 200
    return result


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.only == "costs":
        return only_costs()
    if args.only == "size":
        return only_size()
    try:
        wrk = ensure_wrk()
    except WrkMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as workdir, Stack(Path(workdir)) as s:
        store_server = s.redis()
        store = redis.Redis.from_url(store_server.url)
        emulator = s.access_service()
        portal = s.app(store_server.url, emulator, **NO_LIMIT)

        print("3. session size and keys left after sign-out", flush=True)
        size = scenarios.session_size(portal.url, emulator.url, store)
        store.set(SESSION_SIZED_KEY, os.urandom(size.strlen))
        body = str(len(profile_page(portal.url)))
        ceiling_env = {"BENCH_VALUE_KEY": SESSION_SIZED_KEY, "BENCH_BODY_BYTES": body}
        runs: dict[str, scenarios.Throughput] = {}
        commands = {"portal": portal.command}
        for workers in (2, 1):
            print(f"1. signed-in page throughput, one Redis, {workers} worker(s)", flush=True)
            app = (
                portal if workers == 2 else s.app(store_server.url, emulator, workers=1, **NO_LIMIT)
            )
            ceiling = s.app(
                store_server.url, emulator, app=BASELINE, workers=workers, **ceiling_env
            )
            commands[f"ceilings, {workers} worker(s)"] = ceiling.command
            runs[f"one Redis, {workers} worker{'s' * (workers > 1)}"] = pages(
                args, wrk, app, ceiling, [store_server.pid]
            )

        print("2. sign-ins per second", flush=True)
        sign_ins = scenarios.sign_in_rate(portal.url, args.sign_in_seconds, args.sign_in_clients)

        print("4. concurrent-refresh storm", flush=True)
        short_lived = s.access_service("--access-token-validity", str(STORM_VALIDITY))
        # Instances that share sessions must share the token sealing key.
        shared = {"TOKEN_ENCRYPTION_KEYS": portal.env["TOKEN_ENCRYPTION_KEYS"]}
        pair = [s.app(store_server.url, short_lived, **shared) for _ in range(2)]
        storms = {
            "one Redis": scenarios.refresh_storm(
                [p.url for p in pair], short_lived.url, STORM_VALIDITY
            )
        }

        if cluster_binaries() is not None:
            print("5. the same on Redis Cluster", flush=True)
            cluster = s.cluster()
            nodes = {"REDIS_CLUSTER_NODES": cluster.addresses}
            cluster_store = RedisCluster(
                startup_nodes=[ClusterNode("127.0.0.1", node.port) for node in cluster.nodes]
            )
            cluster_store.set(SESSION_SIZED_KEY, os.urandom(size.strlen))
            node_pids = [node.pid for node in cluster.nodes]
            app = s.app(UNUSED_REDIS_URL, emulator, **nodes, **NO_LIMIT)
            ceiling = s.app(UNUSED_REDIS_URL, emulator, app=BASELINE, **nodes, **ceiling_env)
            runs["Redis Cluster (3 primaries), 2 workers"] = pages(
                args, wrk, app, ceiling, node_pids
            )
            pair = [s.app(UNUSED_REDIS_URL, short_lived, **nodes, **shared) for _ in range(2)]
            storms["Redis Cluster"] = scenarios.refresh_storm(
                [p.url for p in pair], short_lived.url, STORM_VALIDITY
            )

        print("6. where the time goes (in-process)", flush=True)
        pieces = costs.measure(portal.env, int(body))

        command = shlex.join(["python", "-m", "bench", *argv])
        text = report.write(
            args.output, wrk, command, commands, runs, sign_ins, size, storms, pieces
        )
    print(text)
    print(f"written to {args.output}", flush=True)
    return 0


def only_costs() -> int:
    """Part 6 alone (no wrk needed): the in-process costs, printed as the report's table."""
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as workdir, Stack(Path(workdir)) as s:
        portal = s.app(s.redis().url, s.access_service(), workers=1, **NO_LIMIT)
        pieces = costs.measure(portal.env, len(profile_page(portal.url)))
    print("\n".join(report.costs_table(pieces)))
    print("\n".join(f"{name}: {micros:,.0f} µs" for name, micros in pieces.items()))
    return 0


def only_size() -> int:
    """Part 3 alone (no wrk needed): one sign-in and sign-out, printed as the report's section."""
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as workdir, Stack(Path(workdir)) as s:
        store_server = s.redis()
        emulator = s.access_service()
        portal = s.app(store_server.url, emulator, **NO_LIMIT)
        size = scenarios.session_size(
            portal.url, emulator.url, redis.Redis.from_url(store_server.url)
        )
    print("\n".join(report.size_lines(size)))
    return 0


def profile_page(portal_url: str) -> bytes:
    """The body of /profile for a fresh session, to size the baselines' answers."""
    browser = scenarios.sign_in(portal_url)
    page = browser.get(portal_url + "/profile", allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.status_code
    return page.content


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
