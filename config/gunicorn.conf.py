"""gunicorn settings for the portal: `gunicorn -c config/gunicorn.conf.py wsgi:app`.

GUNICORN_CMD_ARGS (gunicorn's own variable) overrides any of these, e.g. bind and workers.
Sizing for N cores: see "Scaling out" in docs/operations.md.
"""

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import ConfigurationError, load_settings
from config.limits import MAX_REQUEST_LINE
from config.metrics_dir import prepare_metrics_dir

# Refuse to start before the port is opened: a misconfigured portal must not serve 500s.
try:
    settings = load_settings()
except ConfigurationError as exc:
    sys.exit(f"cocoon-portal: configuration error: {exc}")
# Development without SECRET_KEY gets a random one: the master's, for every worker, so a form
# made by one worker is accepted by another.
os.environ.setdefault("SECRET_KEY", settings.secret_key)

bind = settings.bind
# Threads let a worker keep serving pages while one request waits on the access-service.
worker_class = "gthread"
workers = settings.workers
threads = settings.threads
# Longer than the slowest outbound call (connect 3 s + read 10 s), so no hung call gets a
# worker killed; SIGTERM lets in-flight requests finish within graceful_timeout.
timeout = 30
graceful_timeout = 20
keepalive = 5
# Room for long query strings (see config/limits.py); longer ones get gunicorn's 414.
limit_request_line = MAX_REQUEST_LINE
# Recycle workers now and then (bounded memory); sessions live in Redis and survive it. Not
# too often: a new worker imports the whole app (at 2000, a busy worker was replaced every 2 s).
max_requests = 20000
max_requests_jitter = 2000
# The app writes one JSON line per request itself, with secrets redacted: gunicorn's access
# log is off, and its logger does not even build the line (it would, with logconfig_dict set).
logger_class = "config.gunicorn_logging.NoAccessLogger"
# gunicorn 27's control socket lives at one path per user: several portals (or the emulator)
# on one machine would fight over it, and nothing here uses it.
control_socket_disable = True
accesslog = None
errorlog = "-"
loglevel = settings.log_level.lower()
# gunicorn's own lines in the same JSON shape as the app's, on stdout.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.log_format.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    "root": {"handlers": ["stdout"], "level": loglevel.upper()},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": loglevel.upper(), "propagate": False}
    },
}
# Development (PORTAL_RELOAD, which `make run` turns on): a worker restarts when a module it
# loaded, or any file of app/, templates/ or static/ (globs, expanded anew at every check, so new
# files count from their first change) changes; sessions live in Redis and survive it.
if settings.reload:
    reload = True
    reload_extra_files = [
        str(Path(__file__).resolve().parent.parent / pattern)
        for pattern in ("app/**/*.py", "templates/**/*", "static/**/*")
    ]
# The X-Forwarded-* headers are handled by the app (app/web/security.py), from FORWARDED_ALLOW_IPS.
forwarded_allow_ips = ",".join(settings.forwarded_allow_ips)
proxy_allow_ips = "127.0.0.1"

# Prometheus multiprocess mode: each worker writes its samples under this directory.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    settings.metrics_dir or os.path.join(tempfile.gettempdir(), f"portal-metrics-{os.getpid()}"),
)


def on_starting(server: Any) -> None:
    """Start with an empty metrics directory (stale files would double-count)."""
    try:
        prepare_metrics_dir(empty=True)
    except ConfigurationError as exc:
        sys.exit(f"cocoon-portal: configuration error: {exc}")


def child_exit(server: Any, worker: Any) -> None:
    """Tell prometheus-client a worker is gone, so its live gauges are dropped."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
