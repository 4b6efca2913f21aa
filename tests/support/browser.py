"""A real browser for the tests: Debian's Chromium driven by Playwright, axe-core's verdict on a
page (WCAG 2.1 A and AA), and a walk through a page's controls with the Tab key."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.tools import missing

CHROMIUM = Path("/usr/bin/chromium")
# Debian's Chromium, not Playwright's own download (which needs the internet); these flags keep
# it from phoning home or waiting on a GPU while headless.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 375, "height": 667}
# What a phone's browser says it is, so pages (the Sessions page) can tell it from a desktop.
PHONE_USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
DESKTOP = {"width": 1280, "height": 800}
# axe-core rules for WCAG 2.0 and 2.1, levels A and AA.
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@contextmanager
def chromium() -> Iterator:
    """A headless Chromium; tools.missing without it."""
    if not CHROMIUM.exists():
        missing(str(CHROMIUM), "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def new_page(browser, phone: bool = False):
    """A page in a fresh context (no cookies), desktop-sized or a touch phone's."""
    if phone:
        context = browser.new_context(
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            device_scale_factor=2,
            user_agent=PHONE_USER_AGENT,
        )
    else:
        context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    return context.new_page()


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 AA violations on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_21_AA)
    return [
        f"{page.url}: {violation['id']} ({violation['impact']}): "
        + "; ".join(node["html"][:120] for node in violation["nodes"])
        for violation in results.response["violations"]
    ]


# An element's key: its place in the document and the start of its HTML (unique, and readable).
KEY = """el => Array.from(document.querySelectorAll("*")).indexOf(el) + " "
  + el.outerHTML.slice(0, 100)"""
FOCUS_STATE = f"""() => {{
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {{key: ({KEY})(el), visible: outline || style.boxShadow !== "none"}};
}}"""
CONTROLS = f"""() => Array.from(document.querySelectorAll(
  'a[href], button, input:not([type=hidden]), select, textarea, summary'
)).filter(el => el.offsetParent !== null || el.getClientRects().length)
  .filter(el => !(el.type === "radio" && !el.checked))
  .map({KEY})"""


def keyboard_problems(page, limit: int = 80) -> list[str]:
    """Tab through the page, round to where it started: every visible control must be reached,
    each with a visible focus indicator (WCAG 2.1.1, 2.4.7). Radio buttons count as one stop
    per group, as browsers make them."""
    wanted = set(page.evaluate(CONTROLS))
    reached: list[str] = []
    problems = []
    state = page.evaluate(FOCUS_STATE)  # an autofocused field is where the walk starts
    if state is not None and not state["visible"]:
        state = None  # focused by a click, which shows no ring: Tab comes back to it
    for _ in range(limit):
        if state is not None:
            if state["key"] in reached:
                break  # round once
            reached.append(state["key"])
            if not state["visible"]:
                problems.append(f"{page.url}: no visible focus on {state['key']}")
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE)
    problems += [f"{page.url}: not reached with Tab: {key}" for key in wanted - set(reached)]
    return problems
