"""The WSGI entry point: `gunicorn -c config/gunicorn.conf.py wsgi:app` (and `flask --app wsgi`)."""

import sys

from config import ConfigurationError
from config.metrics_dir import prepare_metrics_dir

try:
    prepare_metrics_dir()  # before `app` is imported: its metrics open files there
    from app import create_app

    app = create_app()
except ConfigurationError as exc:  # one clear line, not a traceback
    sys.exit(f"cocoon-portal: configuration error: {exc}")
