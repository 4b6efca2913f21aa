"""Redis Sentinel for the tests: a real `redis-server --sentinel` watching a master on loopback."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import redis

from tests.support.processes import Process, free_port, redis_server_binary, wait_for_port


class RedisSentinel(Process):
    """One sentinel (quorum 1) on a free port, monitoring master_port as `master_name`.

    Sentinel rewrites its configuration file at run time, so it gets its own writable copy in
    workdir. The timings are short so a failover takes seconds, not the default minutes.
    """

    def __init__(
        self,
        workdir: Path,
        master_port: int,
        master_name: str = "mymaster",
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 3000,
    ):
        self.port = free_port()
        self.master_name = master_name
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / f"sentinel-{self.port}.conf"
        config.write_text(
            f"port {self.port}\n"
            "bind 127.0.0.1\n"
            f'dir "{workdir}"\n'
            f"sentinel monitor {master_name} 127.0.0.1 {master_port} 1\n"
            f"sentinel down-after-milliseconds {master_name} {down_after_ms}\n"
            f"sentinel failover-timeout {master_name} {failover_timeout_ms}\n"
            f"sentinel parallel-syncs {master_name} 1\n"
        )
        super().__init__(
            [redis_server_binary(), str(config), "--sentinel"],
            log_path=workdir / f"sentinel-{self.port}.log",
        )

    def start(self) -> RedisSentinel:
        super().start()
        wait_for_port(self.port)
        return self

    @property
    def address(self) -> str:
        """host:port, as REDIS_SENTINELS wants it."""
        return f"127.0.0.1:{self.port}"

    def master_port(self) -> int | None:
        """The port of the master this sentinel currently names, or None."""
        with redis.Redis(port=self.port, socket_timeout=1, decode_responses=True) as client:
            address = client.sentinel_get_master_addr_by_name(self.master_name)
        return int(address[1]) if address else None

    def wait_for_replicas(self, count: int, timeout: float = 15.0) -> None:
        """Block until the sentinel has discovered count replicas of its master, or raise."""
        deadline = time.monotonic() + timeout
        with redis.Redis(port=self.port, socket_timeout=1, decode_responses=True) as client:
            while time.monotonic() < deadline:
                if len(client.sentinel_slaves(self.master_name)) >= count:
                    return
                time.sleep(0.1)
        raise TimeoutError(f"sentinel saw fewer than {count} replica(s) after {timeout}s")


def wait_for_key(port: int, key: str, timeout: float = 10.0) -> None:
    """Block until the Redis on port holds key (e.g. a replica has caught up), or raise."""
    deadline = time.monotonic() + timeout
    with redis.Redis(port=port, socket_timeout=1) as client:
        while time.monotonic() < deadline:
            if client.exists(key):
                return
            time.sleep(0.05)
    raise TimeoutError(f"{key} did not reach the Redis on port {port} after {timeout}s")


def crash(process: Process) -> None:
    """SIGKILL process and its group, as a crash would, then reap it and close its log.

    (Process.kill() does not close the log file, which pytest reports as a ResourceWarning.)
    """
    process.signal(signal.SIGKILL)
    process.stop()
