"""PROMETHEUS_MULTIPROC_DIR: where gunicorn's workers share their metrics (prometheus-client).

prometheus-client opens a file there as soon as a metric is defined, that is when `app` is
imported: the directory must exist before then, or every entry point (gunicorn, `flask --app
wsgi ...`) would end in a traceback.
"""

from __future__ import annotations

import os
import shutil

from config.settings import ConfigurationError

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def prepare_metrics_dir(empty: bool = False) -> None:
    """Create the directory PROMETHEUS_MULTIPROC_DIR names, if set; with `empty`, remove what
    an earlier run left (stale files would be counted again).

    Raises ConfigurationError, naming the setting, when the directory cannot be made.
    """
    path = os.environ.get(VARIABLE)
    if not path:
        return
    if empty:
        shutil.rmtree(path, ignore_errors=True)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"{VARIABLE}={path!r} is not a directory that can be created ({exc.strerror})"
        ) from None
    if not os.access(path, os.W_OK):
        raise ConfigurationError(f"{VARIABLE}={path!r} is not writable")
