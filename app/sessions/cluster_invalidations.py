"""Redis Cluster's invalidation messages: a channel on every node, following the layout.

Tracking is per node: a primary announces the changes to the keys it holds, and only to the
connections that turned tracking on at that very node; a replica announces nothing of what it
replicates. So a worker's cache on a Cluster listens to every node of the cluster, replicas too,
with one InvalidationChannel each (app/sessions/invalidations.py: BCAST tracking of the
prefixes, PINGs, STALE_AFTER), and may be used only while
- every node's channel is alive (a PONG within STALE_AFTER seconds), a failing node's apart;
- every node confirmed, within STALE_AFTER seconds, the layout the channels were made for:
  every PING_EVERY seconds each is asked `CLUSTER NODES` on a connection of its own, and must
  describe the same nodes (ids, addresses, which are failing: flagged `fail`, `fail?` or
  `noaddr`) holding as many slots;
- all 16384 slots are held, none by a failing node.
A node that is down and holds no slot (a dead replica, a dead primary once its replica took
over) can take no write: it is not waited for. An answer that describes another layout (a node
added, removed, failing or back, slots assigned) empties the cache and is followed at once: a
channel for each new node, the channels of nodes that left closed, the others kept. Until every
node of the new layout has its channel up and has confirmed it, the cache answers nothing; when
no node answers at all, the layout is read again from REDIS_CLUSTER_NODES.

Why a change is never served after the node that made it announced it:
- a replica is listened to before it is promoted: once a primary, it announces its writes on a
  channel that was up all along, whether the failover was forced by a dead primary or started
  by hand (CLUSTER FAILOVER); the layout is the same, and the cache goes on;
- slots moved (resharding) stay listened to throughout: the source announces the keys MIGRATE
  deletes, the target those it receives and those written after;
- a node added joins as a primary with no slot, or as a replica, before a slot or key can reach
  it: the next check sees it, and its channel is up before the cache is used again;
- a primary that dies or is cut off goes silent (its channel's STALE_AFTER rule), and the others
  soon flag it `fail?`: the cache is closed until its replica took its slots over, or it is
  back. Back after its replica took over, it may take a write from a client that still routes
  its slots to it, until it learns that it is now a replica; the write is lost when it then
  syncs from the new primary (Redis Cluster's own window), so the cache keeps what the cluster
  keeps.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from redis.backoff import NoBackoff
from redis.connection import AbstractConnection, Connection
from redis.retry import Retry

from app.redis_client import REDIS_DOWN, retry
from app.sessions.invalidations import (
    PING_EVERY,
    PONG_TIMEOUT,
    RETRY_EVERY,
    STALE_AFTER,
    Invalidate,
    InvalidationChannel,
)

log = logging.getLogger(__name__)

SLOTS = 16384  # hash slots of every Redis Cluster
FAILING = {"fail", "fail?", "noaddr"}  # flags of a node that is down, or suspected of it
UNREACHABLE: tuple[type[Exception], ...] = (*REDIS_DOWN, OSError)


@dataclass(frozen=True)
class Member:
    """One node as CLUSTER NODES describes it: its node id and address; whether it is failing
    (flagged `fail`, `fail?` or `noaddr`), and if so whether it still holds slots. Its role and
    which slots it holds are left out: every node is listened to, whatever it holds."""

    node_id: str
    host: str
    port: int
    failing: bool
    failing_with_slots: bool

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def endpoint(self) -> tuple[str, str, int]:
        """What its connections are to: the same node at the same address."""
        return self.node_id, self.host, self.port


@dataclass(frozen=True)
class Layout:
    """The nodes of a cluster as one of them sees them, with how many of the SLOTS they hold
    and, for the logs, which of them are primaries."""

    members: frozenset[Member]
    slots_held: int
    primaries: frozenset[str] = field(compare=False)

    def serves(self) -> bool:
        """Whether the cache may count on this layout: every slot held, and by no node that is
        failing (a node that is down and holds no slot can take no write)."""
        return self.slots_held == SLOTS and not any(m.failing_with_slots for m in self.members)


def parse_layout(text: str, asked_host: str) -> Layout:
    """The layout in the text of CLUSTER NODES (one node per line: id, `ip:port@bus-port[,
    hostname]`, flags, primary, ping sent, pong received, epoch, link state, slots...), as
    Redis' CLUSTER NODES documentation gives it. A node that does not know its own address yet
    (`:port@bus-port`) is at `asked_host`."""
    members, primaries = [], []
    slots_held = 0
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 8:
            continue
        node_id, address, flags = fields[0], fields[1], set(fields[2].split(","))
        if "handshake" in flags:  # a node being introduced: not a member yet
            continue
        host, _, port = address.split("@")[0].rpartition(":")
        held = 0
        for slots in fields[8:]:
            if not slots.startswith("["):  # `[slot->-node]`: a migration, not a holding
                first, _, last = slots.partition("-")
                held += int(last or first) - int(first) + 1
        failing = bool(flags & FAILING)
        members.append(
            Member(node_id, host or asked_host, int(port), failing, failing and held > 0)
        )
        slots_held += held
        if "master" in flags:
            primaries.append(f"{host}:{port}")
    return Layout(frozenset(members), slots_held, frozenset(primaries))


class LayoutCheck:
    """Asks one node CLUSTER NODES every PING_EVERY seconds on a connection of its own, never
    waiting for the answer: poll() sends the question when due, and reads the answer once it
    has come. Not thread-safe (called under the cache's channel lock)."""

    def __init__(self, client: Redis, host: str, clock: Callable[[], float]):
        self.client = client
        self.host = host
        self.clock = clock
        self.connection: Connection | None = None
        self.sent_at: float | None = None
        self.confirmed_until = 0.0  # monotonic seconds: the layout is confirmed until then
        self.quiet_until = 0.0  # nothing to send or read before then (monotonic seconds)
        self.down = False  # the last attempt failed

    def poll(self, now: float, expected: Layout) -> Layout | None:
        """The node's answer when it describes another layout than `expected`; None otherwise
        (an answer that matches confirms it until STALE_AFTER seconds after it was asked)."""
        if now < self.quiet_until:
            return None
        try:
            return self._poll(now, expected)
        except UNREACHABLE as exc:
            if not self.down:
                log.warning("session cache: no layout from %s: %s", self.host, exc)
            self.down = True
            self.close()
            self.quiet_until = now + RETRY_EVERY
            return None

    def _poll(self, now: float, expected: Layout) -> Layout | None:
        if self.connection is None:
            self.connection = self.client.connection_pool.get_connection()
        if self.sent_at is None:
            self.connection.send_command("CLUSTER", "NODES")
            self.sent_at = now
            return None
        if not self.connection.can_read(timeout=0):
            if now - self.sent_at > PONG_TIMEOUT:
                raise TimeoutError(f"no answer to CLUSTER NODES in {PONG_TIMEOUT} s")
            return None
        answer = self.connection.read_response()
        text = answer.decode() if isinstance(answer, bytes) else str(answer)
        layout, sent_at = parse_layout(text, self.host), self.sent_at
        self.down, self.sent_at = False, None
        if layout != expected:
            return layout
        self.confirmed_until = sent_at + STALE_AFTER
        self.quiet_until = sent_at + PING_EVERY  # the next question
        return None

    def close(self) -> None:
        """Drop the connection and any question under way; nothing is confirmed any more."""
        if self.connection is not None:
            self.connection.disconnect()
            self.client.connection_pool.release(self.connection)
        self.connection = None
        self.sent_at = None
        self.confirmed_until = self.quiet_until = 0.0


@dataclass
class Listener:
    """What listens to one node: its invalidation channel and its layout check."""

    member: Member
    channel: InvalidationChannel
    check: LayoutCheck

    def close(self) -> None:
        self.channel.close()
        self.check.close()


class ClusterChannel:
    """The invalidations of every node of the Redis Cluster that some of `startup_nodes`
    (host, port) belong to, following its layout; `sync()` and `usable()` as
    InvalidationChannel's. `options` are the connections' socket settings (timeouts,
    keepalive). Not thread-safe: the cache calls sync() under its channel lock; usable() only
    reads."""

    def __init__(
        self,
        startup_nodes: tuple[tuple[str, int], ...],
        options: dict[str, Any],
        prefixes: tuple[str, ...],
        invalidate: Invalidate,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.startup_nodes = startup_nodes
        self.options = options
        self.prefixes = prefixes
        self.invalidate = invalidate
        self.clock = clock
        self.layout: Layout | None = None
        # By Member.endpoint.
        self.listeners: dict[tuple[str, str, int], Listener] = {}
        # Those of the nodes that are not failing, listened to (a failing node is not: were it
        # cut off, each attempt to reach it would hold a request up); and those the cache
        # counts on: the same, when the layout serves (Layout.serves), else none.
        self.active: list[Listener] = []
        self.counted: list[Listener] = []
        self.usable_until = 0.0  # monotonic seconds
        self.next_attempt = 0.0
        self.told = False  # the logs say no node answered

    def sync(self) -> bool:
        """Apply every node's messages, check the layout; True when the cache may be used."""
        now = self.clock()
        if self.layout is None and not self._discover(now):
            return False
        assert self.layout is not None
        active, layout = self.active, self.layout
        for listener in active:  # every one of them: all messages applied
            listener.channel.sync()
        for listener in active:
            if now >= listener.check.quiet_until and (seen := listener.check.poll(now, layout)):
                self._follow(seen, f"as {listener.member.name} describes it")
                return False
        # Every channel alive and every check confirmed until then, a failing node's apart.
        until = math.inf if self.counted else 0.0
        for listener in self.counted:
            until = min(until, listener.channel.usable_until(), listener.check.confirmed_until)
        self.usable_until = until
        if now < until:
            return True
        if all(listener.check.down for listener in active):  # none, or none answers
            self._forget()
        return False

    def usable(self) -> bool:
        """Whether the cache may be used, as the last sync() left it (no I/O)."""
        return self.clock() < self.usable_until

    def _discover(self, now: float) -> bool:
        """Read the layout from a startup node (waiting for the answer), every RETRY_EVERY
        seconds at most; True when one answered."""
        if now < self.next_attempt:
            return False
        self.next_attempt = now + RETRY_EVERY
        failure: Exception | None = None
        for host, port in self.startup_nodes:
            try:
                with Redis(host=host, port=port, protocol=2, **self._options()) as client:
                    connection = client.connection_pool.get_connection()
                    try:
                        connection.send_command("CLUSTER", "NODES")
                        answer = connection.read_response()
                    finally:
                        client.connection_pool.release(connection)
            except UNREACHABLE as exc:
                failure = exc
                continue
            text = answer.decode() if isinstance(answer, bytes) else str(answer)
            self.told = False
            self._follow(parse_layout(text, host), f"as {host}:{port} describes it")
            return True
        if not self.told:
            log.warning("session cache off: no node of the cluster answers: %s", failure)
        self.told = True
        return False

    def _follow(self, layout: Layout, why: str) -> None:
        """Adopt `layout`: the cache emptied, a listener for each of its nodes (kept where the
        node had one already), the others closed; nothing confirmed yet."""
        old = self.listeners
        self.usable_until = 0.0
        for listener in old.values():
            listener.check.confirmed_until = 0.0
        self.invalidate(None)
        self.listeners = {
            member.endpoint: self._listener(member, old.get(member.endpoint))
            for member in layout.members
        }
        for endpoint, listener in old.items():
            if endpoint not in self.listeners:
                listener.close()
        self.layout = layout
        self.active = [
            listener for listener in self.listeners.values() if not listener.member.failing
        ]
        self.counted = self.active if layout.serves() else []
        primaries = sorted(layout.primaries)
        failing = sorted(member.name for member in layout.members if member.failing)
        log.info(
            "session cache follows the cluster's layout, %s: %d primaries (%s), %d nodes in "
            "all, %d of %d slots held%s",
            why,
            len(primaries),
            ", ".join(primaries),
            len(layout.members),
            layout.slots_held,
            SLOTS,
            f", failing: {', '.join(failing)}" if failing else "",
        )

    def _forget(self) -> None:
        """No node answers: close everything, read the layout again at the next attempt."""
        for listener in self.listeners.values():
            listener.close()
        self.usable_until = 0.0
        self.invalidate(None)
        self.listeners, self.active, self.counted, self.layout = {}, [], [], None

    def _listener(self, member: Member, kept: Listener | None) -> Listener:
        """`kept` as `member` now is, or a new listener to it when there is none."""
        if kept is not None:
            return Listener(member, kept.channel, kept.check)

        def make_client(set_up: Callable[[AbstractConnection], None]) -> Redis:
            options = {**self._options(), "redis_connect_func": set_up}
            return Redis(host=member.host, port=member.port, protocol=2, **options)

        channel = InvalidationChannel(
            make_client, self.prefixes, self.invalidate, self.clock, source=member.name
        )
        # No retry: a check that fails is tried again RETRY_EVERY seconds later.
        options = {**self._options(), "retry": Retry(NoBackoff(), 0)}
        checker = Redis(host=member.host, port=member.port, protocol=2, **options)
        return Listener(member, channel, LayoutCheck(checker, member.host, self.clock))

    def _options(self) -> dict[str, Any]:
        return {"retry": retry(), **self.options}
