"""`flask --app wsgi cocoon ...`: command-line access to the platform for system-run services.

The commands use the portal's own configured client (credentials, URLs, timeouts): `token` and
`refresh` print the token response on stdout, so `$(flask --app wsgi cocoon token ...
--access-token-only)` can feed curl; `me` prints the account from the user API, with the client
of app/cocoon/api.py that pages use. Secrets are never command-line arguments: those show up in
`ps` and in shell history.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable

import click
import msgspec
from flask import current_app
from flask.cli import with_appcontext

from app.cocoon.api import UserApi
from app.cocoon.client import AccessServiceClient
from app.cocoon.errors import (
    AccessServiceUnavailable,
    ClientConfigurationError,
    InvalidTokenResponse,
    NotPermitted,
    PlatformError,
    SessionOver,
    TokenRefused,
)
from app.cocoon.system_account import SystemAccount
from app.cocoon.tokens import TokenSet

commands = click.Group(
    "cocoon", help="Get Cocoon Data Platform tokens, and call its user API, from the command line."
)

access_token_only = click.option(
    "--access-token-only", is_flag=True, help="Print only the access token, for a bearer header."
)


@commands.command("token")
@click.option("--username", required=True, help="The account's email address.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@access_token_only
@with_appcontext
def token_command(username: str, password_stdin: bool, access_token_only: bool) -> None:
    """Get tokens with the password grant (for system-run services).

    The password comes from stdin with --password-stdin, else from COCOON_PASSWORD, else from
    a prompt that does not echo it.
    """
    password = read_secret("password", "COCOON_PASSWORD", password_stdin)
    if password is None:
        password = click.prompt("Password", hide_input=True, err=True)
    tokens = token_call(lambda client: client.password_grant(username, password), password)
    print_tokens(tokens, access_token_only)


@commands.command("refresh")
@click.option("--refresh-token-stdin", is_flag=True, help="Read the refresh token from stdin.")
@access_token_only
@with_appcontext
def refresh_command(refresh_token_stdin: bool, access_token_only: bool) -> None:
    """Get new tokens for a refresh token (from stdin or COCOON_REFRESH_TOKEN)."""
    refresh_token = read_secret("refresh token", "COCOON_REFRESH_TOKEN", refresh_token_stdin)
    if refresh_token is None:
        raise click.UsageError(
            "give the refresh token on stdin (--refresh-token-stdin) or in COCOON_REFRESH_TOKEN"
        )
    # refresh() reads only the refresh token of the set it is given.
    previous = TokenSet(access_token="", refresh_token=refresh_token)
    tokens = token_call(lambda client: client.refresh(previous), refresh_token)
    print_tokens(tokens, access_token_only)


@commands.command("me")
@click.option("--username", required=True, help="The account's email address.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@with_appcontext
def me_command(username: str, password_stdin: bool) -> None:
    """Print the account's GET /api/v1/users/me as JSON (the platform's user API, with the
    same client as the portal's pages). The password: as for `token`."""
    password = read_secret("password", "COCOON_PASSWORD", password_stdin)
    if password is None:
        password = click.prompt("Password", hide_input=True, err=True)
    settings = current_app.extensions["portal"].settings
    api = UserApi.from_settings(settings, SystemAccount.from_settings(settings, username, password))
    quiet_stdout()
    try:
        account = api.me()
    except SessionOver as exc:
        message = f"the access-service refused: {exc}"
    except NotPermitted:
        message = "the platform does not let this account read its own details (403)"
    except PlatformError as exc:
        message = f"the user API failed: {exc} ({api.base_url})"
    except (ClientConfigurationError, InvalidTokenResponse, AccessServiceUnavailable) as exc:
        message = explain(exc, settings.token_endpoint)
    else:
        click.echo(msgspec.json.format(msgspec.json.encode(account), indent=2))
        return
    raise click.ClickException(message.replace(password, "[redacted]"))


def read_secret(what: str, variable: str, from_stdin: bool) -> str | None:
    """The first line of stdin when asked for, else the variable's value, else None."""
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise click.UsageError(f"no {what} on stdin")
        return value
    return os.environ.get(variable) or None


def token_call(call: Callable[[AccessServiceClient], TokenSet], secret: str) -> TokenSet:
    """Run a token call with the app's client; failures become one line on stderr, exit 1.

    The access-service may quote what it refused (Spring: "Invalid refresh token: <token>"):
    the secret sent, a password or a refresh token, is never repeated in that line.
    """
    client: AccessServiceClient = current_app.extensions["portal"].client
    quiet_stdout()
    try:
        return call(client)
    except (
        TokenRefused,
        ClientConfigurationError,
        InvalidTokenResponse,
        AccessServiceUnavailable,
    ) as exc:
        message = explain(exc, client.token_endpoint)
    raise click.ClickException(message.replace(secret, "[redacted]"))


def explain(exc: Exception, token_endpoint: str) -> str:
    """One line for an error of the token endpoint."""
    if isinstance(exc, TokenRefused):
        return f"the access-service refused: {exc}"
    if isinstance(exc, ClientConfigurationError):
        # Its message ends with the settings to check (app/cocoon/errors.py).
        return f"the access-service refused this portal's client: {exc}"
    if isinstance(exc, InvalidTokenResponse):
        return f"the access-service returned a token this portal cannot use: {exc}"
    return f"{exc} ({token_endpoint})"


def print_tokens(tokens: TokenSet, access_token_only: bool) -> None:
    """The token response as JSON, or only the access token."""
    if access_token_only:
        click.echo(tokens.access_token)
        return
    response = {
        "access_token": tokens.access_token,
        "token_type": tokens.token_type,
        "refresh_token": tokens.refresh_token,
        "jti": tokens.jti,
        "expires_at": int(tokens.expires_at) if tokens.expires_at is not None else None,
    }
    click.echo(json.dumps(response, indent=2))


def quiet_stdout() -> None:
    """Send the portal's log lines to stderr: here stdout is the token, read by scripts."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)
