"""A browser's User-Agent in words ("Firefox on Windows"): what a session keeps of its browser
(app/sessions/tokens.py, a few bytes against a User-Agent's hundred or more) and the
Sessions page shows.

Only a rough guess, good enough for a person to tell their own browsers apart; the order of the
checks matters, because browsers name the ones they descend from (Edge says Chrome and Safari).
"""

from __future__ import annotations

# (what the User-Agent contains, the browser's name), first match wins.
BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe(user_agent: str) -> str:
    """The browser and the system it runs on, in words."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), "An unknown browser")
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    return f"{browser} on {system}" if system else browser
