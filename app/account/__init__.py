"""The person's account on the platform (blueprint `account`): details, email notifications,
connected applications and sessions. Each page calls the platform's user API as the signed-in
user (app/auth/platform.py); each form posts to its own page, with CSRF, and redirects back."""

from app.account import applications, details, notifications, sessions
from app.account.blueprint import bp

__all__ = ["applications", "bp", "details", "notifications", "sessions"]
