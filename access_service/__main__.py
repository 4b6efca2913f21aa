"""`python -m access_service`: serve the emulator, or hash a password for a data file."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from . import create_app
from .data import hash_secret
from .settings import DEFAULT_SIGNING_KEY, TOKEN_KEY_AUTH
from .tokens import TOKEN_RESPONSES, TOKEN_STORES


class Server(BaseApplication):
    """gunicorn run from Python: one worker process, so in-memory state stays in one place."""

    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Apply our options (never GUNICORN_CMD_ARGS, which may be meant for the portal)."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """The app, created once before the worker starts."""
        return self.application


def seconds(value: str) -> int:
    """A positive number of seconds, for argparse."""
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {value}")
    return number


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The serve command line (docs/emulator.md lists its options)."""
    parser = argparse.ArgumentParser(
        prog="python -m access_service",
        description="Emulated Cocoon access-service (development and tests only). "
        "`python -m access_service hash-password` hashes a password or client secret.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--data", help="clients and users (JSON); default: the built-in demo data")
    parser.add_argument(
        "--access-token-validity",
        type=seconds,
        metavar="SECONDS",
        help="overrides every client's access token validity",
    )
    parser.add_argument(
        "--refresh-token-validity",
        type=seconds,
        metavar="SECONDS",
        help="overrides every client's refresh token validity",
    )
    parser.add_argument(
        "--token-store",
        choices=TOKEN_STORES,
        default=os.environ.get("ACCESS_SERVICE_TOKEN_STORE") or "per-grant",
        help="per-grant: new tokens for every grant (default); shared: the same tokens for the "
        "same user, client and scope while valid, as Spring with a token store",
    )
    parser.add_argument(
        "--token-response",
        choices=TOKEN_RESPONSES,
        default=os.environ.get("ACCESS_SERVICE_TOKEN_RESPONSE") or "spring",
        help="spring: token responses with expires_in and scope, as a real 2.4.0 server "
        "(default); document: only the platform document's four keys",
    )
    parser.add_argument(
        "--token-key-auth",
        choices=TOKEN_KEY_AUTH,
        default=os.environ.get("ACCESS_SERVICE_TOKEN_KEY_AUTH") or "none",
        help="basic: token_key asks for the client's HTTP Basic credentials (default: none)",
    )
    parser.add_argument(
        "--signing-key",
        default=os.environ.get("ACCESS_SERVICE_SIGNING_KEY") or DEFAULT_SIGNING_KEY,
        help="RSA private key (PEM), created with mode 0600 when missing",
    )
    return parser.parse_args(argv)


def serve(argv: list[str]) -> None:
    """Run the emulator until SIGTERM or SIGINT (Ctrl-C)."""
    args = parse_args(argv)
    overrides: dict[str, Any] = {
        "SIGNING_KEY_FILE": args.signing_key,
        "TOKEN_STORE": args.token_store,
        "TOKEN_KEY_AUTH": args.token_key_auth,
        "TOKEN_RESPONSE": args.token_response,
    }
    if args.data:
        overrides["DATA_FILE"] = args.data
    if args.access_token_validity:
        overrides["ACCESS_TOKEN_VALIDITY"] = args.access_token_validity
    if args.refresh_token_validity:
        overrides["REFRESH_TOKEN_VALIDITY"] = args.refresh_token_validity
    app = create_app(overrides)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"Emulated Cocoon access-service on http://{host}:{args.port} (development and tests only)",
        flush=True,
    )
    Server(
        app,
        {
            "bind": f"{host}:{args.port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": 32,
            "accesslog": "-",
            "graceful_timeout": 1,
            # The default socket path is per user, shared by every gunicorn on the machine.
            "control_socket_disable": True,
        },
    ).run()


def hash_password() -> None:
    """Print the werkzeug hash of a password read from the terminal or stdin."""
    if sys.stdin.isatty():
        secret = getpass.getpass("Password or client secret: ")
        if getpass.getpass("Again: ") != secret:
            sys.exit("The two entries differ.")
    else:
        secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        sys.exit("Nothing to hash.")
    print(hash_secret(secret))


def main(argv: list[str] | None = None) -> None:
    """Dispatch between `hash-password` and serving."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["hash-password"]:
        hash_password()
    else:
        serve(argv)


if __name__ == "__main__":
    main()
