"""`next` is honoured only as a path on this portal: a table of open-redirect tricks."""

import pytest

from app.security import safe_next

OPEN_REDIRECT_TRICKS = [
    "https://evil.example/",  # absolute URL
    "http:evil.example",  # scheme without slashes
    "//evil.example",  # scheme-relative
    "///evil.example",  # extra slash
    "/\\evil.example",  # backslash, browsers read it as a slash
    "\\\\evil.example",  # two backslashes
    "/\\/evil.example",
    "/%5Cevil.example",  # encoded backslash
    "/%2F/evil.example",  # encoded slash making //
    "%2F%2Fevil.example",  # fully encoded //
    "/%09/evil.example",  # encoded tab, stripped by browsers
    "/\t/evil.example",  # raw tab
    "/\n/evil.example",  # newline (header injection too)
    "/\r\nLocation: https://evil.example",
    " //evil.example",  # leading space
    "/ /evil.example",
    "/\x00/evil.example",  # NUL
    "//evil@portal.example",  # userinfo
    "//portal.example@evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example%2F@portal.example",
    "https:/\\evil.example",
    "evil.example",  # relative, not a path
    "profile",
    "",
    "/" + "a" * 5000,  # absurdly long
    None,
    ["/profile"],
]


@pytest.mark.parametrize("value", OPEN_REDIRECT_TRICKS)
def test_open_redirect_tricks_are_refused(value):
    assert safe_next(value) is None


@pytest.mark.parametrize(
    "value", ["/", "/profile", "/profile?tab=roles", "/a/b#frag", "/search?q=%2Fthing"]
)
def test_paths_on_this_portal_are_kept(value):
    assert safe_next(value) == value
