"""The servers a benchmark run needs, started with the test suite's process classes."""

from __future__ import annotations

import contextlib
import shlex
import sys
from pathlib import Path

from tests.support.cluster import Cluster
from tests.support.environment import portal_environment
from tests.support.processes import AccessService, Portal, Process, RedisServer

COOKIE = "portal_session"  # the session cookie's name in development


class GunicornApp(Portal):
    """Any WSGI app of this repository under the portal's gunicorn settings and environment."""

    def __init__(self, workdir: Path, env: dict[str, str], app: str = "wsgi:app", **options):
        super().__init__(workdir, env, **options)
        self.args[-1] = app
        self.workers = options.get("workers", 2)

    @property
    def command(self) -> str:
        """The command line, as a person would type it."""
        settings = shlex.quote(self.env["GUNICORN_CMD_ARGS"])
        return f"GUNICORN_CMD_ARGS={settings} " + shlex.join(
            [Path(self.args[0]).name, *self.args[1:]]
        )


class Stack(contextlib.ExitStack):
    """Starts servers and stops every one of them on exit, whatever happened."""

    def __init__(self, workdir: Path):
        super().__init__()
        self.workdir = workdir

    def _started(self, process: Process) -> Process:
        self.callback(process.stop)
        try:
            return process.start()
        except (RuntimeError, TimeoutError):
            sys.stderr.write(process.logs()[-4000:])  # why it did not start
            raise

    def redis(self) -> RedisServer:
        return self._started(RedisServer(self.workdir / "redis"))

    def access_service(self, *args: str) -> AccessService:
        return self._started(AccessService(self.workdir / "access-service", args=list(args)))

    def cluster(self) -> Cluster:
        """Three Redis Cluster primaries (tests/support/cluster.py)."""
        cluster = Cluster(self.workdir / "cluster")
        self.callback(cluster.stop)
        return cluster.start()

    def app(
        self,
        redis_url: str,
        access_service: AccessService,
        app: str = "wsgi:app",
        workers: int = 2,
        **env: str,
    ) -> GunicornApp:
        """The portal (or another app, e.g. the baseline) with a complete development env."""
        environ = portal_environment(redis_url, access_service.url, **env)
        # Worker recycling off while measuring, for portal and ceilings alike: at these rates a
        # worker reached max_requests every other round, and its restart swamped the round.
        return self._started(
            GunicornApp(
                self.workdir / "apps",
                environ,
                app=app,
                workers=workers,
                extra_args="--max-requests 0",
            )
        )
