"""The WSGI entry point: `gunicorn -c config/gunicorn.conf.py wsgi:app` (and `flask --app wsgi`)."""

import sys

from app import create_app
from config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as exc:  # one clear line, not a traceback
    sys.exit(f"cocoon-portal: configuration error: {exc}")
