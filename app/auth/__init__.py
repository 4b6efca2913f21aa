"""Signing in and out (blueprint `auth`): /login, /authcallback, /logout, /signed-out."""

from app.auth.views import bp

__all__ = ["bp"]
