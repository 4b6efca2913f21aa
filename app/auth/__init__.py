"""Signing in and out (blueprint `auth`), and the session's tokens."""

from app.auth.views import bp

__all__ = ["bp"]
