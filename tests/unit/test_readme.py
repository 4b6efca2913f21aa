"""The README stays a five-minute read that leads on, and the settings page stays true: every
setting the code reads is in docs/settings.md's table."""

import re
from pathlib import Path

from config import Settings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# The READMEs a person browsing the repository meets: the top one and the folders' pointers.
READMES = (README, ROOT / "access_service" / "README.md", ROOT / "deploy" / "README.md")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def settings_read_by_the_code() -> set[str]:
    """The declared settings, and what the other modules read from the environment themselves."""
    names = set(Settings.variables())
    for path in ("config/gunicorn.conf.py", "app/cli.py"):
        text = (ROOT / path).read_text()
        names |= set(re.findall(r'environ(?:\.get)?\(\s*"([A-Z][A-Z0-9_]+)"', text))
        names |= set(re.findall(r'read_secret\([^)]*"([A-Z][A-Z0-9_]+)"', text))
    return names


def test_every_setting_is_documented():
    table = (ROOT / "docs" / "settings.md").read_text()
    names = settings_read_by_the_code()
    assert {"SECRET_KEY", "COCOON_CLIENT_SECRET", "SESSION_IDLE_TIMEOUT"} <= names
    missing = sorted(name for name in names if f"`{name}`" not in table)
    assert not missing, f"settings missing from docs/settings.md's table: {missing}"


def test_the_two_commands_are_on_the_first_screen():
    first_screen = "\n".join(README.read_text().splitlines()[:24])
    assert "make run" in first_screen and "make test" in first_screen


def test_the_readme_is_read_in_five_minutes():
    words = len(README.read_text().split())
    assert 200 < words <= 1200, f"README.md has {words} words; the rest belongs in docs/"


def test_every_link_of_the_readmes_to_the_repository_leads_somewhere():
    """The site's own links are checked by its strict build; the READMEs are not part of it."""
    checked = 0
    for readme in READMES:
        for target in LINK.findall(readme.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path = target.split("#", 1)[0]
            assert (readme.parent / path).is_file(), f"{readme.name}: {target}"
            checked += 1
    assert checked >= 10
