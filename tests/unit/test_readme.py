"""The README stays true: every setting the code reads is in its Settings section."""

import re
from pathlib import Path

from config import Settings

ROOT = Path(__file__).resolve().parents[2]


def settings_read_by_the_code() -> set[str]:
    """The declared settings, and what the other modules read from the environment themselves."""
    names = set(Settings.variables())
    for path in ("config/gunicorn.conf.py", "app/cli.py"):
        text = (ROOT / path).read_text()
        names |= set(re.findall(r'environ(?:\.get)?\(\s*"([A-Z][A-Z0-9_]+)"', text))
        names |= set(re.findall(r'read_secret\([^)]*"([A-Z][A-Z0-9_]+)"', text))
    return names


def test_every_setting_is_documented():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    names = settings_read_by_the_code()
    assert {"SECRET_KEY", "COCOON_CLIENT_SECRET", "SESSION_IDLE_TIMEOUT"} <= names
    missing = sorted(name for name in names if f"`{name}`" not in table)
    assert not missing, f"settings missing from README's Settings table: {missing}"


def test_the_two_commands_are_in_the_quick_start():
    quick_start = (ROOT / "README.md").read_text().split("## Quick start", 1)[1][:600]
    assert "make run" in quick_start and "make test" in quick_start
