"""Settings of the portal, read from the environment (see the Settings table in README.md)."""

from config.settings import ConfigurationError, Settings, load_settings

__all__ = ["ConfigurationError", "Settings", "load_settings"]
