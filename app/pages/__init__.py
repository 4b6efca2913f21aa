"""The portal's pages (blueprint `pages`): home and profile."""

from app.pages.views import bp

__all__ = ["bp"]
