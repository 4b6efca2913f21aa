"""Settings of the portal, read from the environment (see the table in docs/settings.md)."""

from config.settings import ConfigurationError, Settings, load_settings

__all__ = ["ConfigurationError", "Settings", "load_settings"]
