"""`flask --app wsgi cocoon ...`: command-line access to the platform for system-run services."""

from __future__ import annotations

import click

cocoon = click.Group("cocoon", help="Get Cocoon Data Platform tokens from the command line.")
