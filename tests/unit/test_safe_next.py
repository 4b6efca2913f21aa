"""`next` is honoured only as a path on this portal: a table of open-redirect tricks."""

import re
from urllib.parse import quote, unquote, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.web.security import safe_next, url_with_next
from config.limits import MAX_URL_TARGET

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


# What a browser makes of a Location value: tabs and newlines dropped anywhere, leading and
# trailing spaces and control characters trimmed, backslashes read as slashes (WHATWG URL).
def as_a_browser_reads_it(location: str) -> str:
    location = location.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10 ")
    return re.sub(r"[\t\n\r]", "", location).replace("\\", "/")


@pytest.mark.parametrize(
    "value",
    [
        "/profile?q=hello%20world&page=2",  # the issue's own example
        "/profile?tab=roles&sort=-name",
        "/search?q=a%2Fb%5Cc%3Fd",  # encoded slash, backslash and ? in the query
        "/search?q=%E2%82%AC#results",
        "/files/a%20b.txt?download=1",  # an encoded space in the path
    ],
)
def test_the_exact_page_is_kept_query_and_encoded_characters_included(value):
    assert safe_next(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/profile?q=hello world", "/profile?q=hello%20world"),
        ("/profile?q=a\\b", "/profile?q=a%5Cb"),
        ("/café?name=Zoë", "/caf%C3%A9?name=Zo%C3%AB"),
        ('/p?x="<>"', "/p?x=%22%3C%3E%22"),
    ],
)
def test_characters_a_url_cannot_hold_are_encoded_not_refused(value, expected):
    assert safe_next(value) == expected


PATH_SEGMENT = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_characters="/?#%\\",
        exclude_categories=["Cc", "Cs", "Zs", "Zl", "Zp"],
    ),
    min_size=1,
    max_size=12,
)


@given(segments=st.lists(PATH_SEGMENT, min_size=1, max_size=4), query=st.text(max_size=200))
def test_any_page_with_any_query_survives_whole(segments, query):
    """A path of ordinary segments plus any query (encoded as a browser sends it) is kept
    exactly, and decodes back to what was asked for."""
    path = "/" + "/".join(quote(segment, safe="") for segment in segments)
    value = f"{path}?{quote(query, safe='=&')}"
    assert safe_next(value) == value
    assert unquote(value.split("?", 1)[1]) == unquote(quote(query, safe="=&"))


@given(st.text(max_size=60))
def test_whatever_is_accepted_stays_on_this_portal(value):
    """The property behind the table above, over any text: what comes back is a path on this
    portal for a browser too (no scheme, no host, one leading slash, nothing to repair)."""
    kept = safe_next(value)
    if kept is None:
        return
    seen = as_a_browser_reads_it(kept)
    assert seen == kept  # nothing a browser would strip or turn around
    parts = urlsplit(seen)
    assert not parts.scheme and not parts.netloc
    assert seen.startswith("/") and not seen.startswith("//")
    assert not unquote(parts.path).startswith("//")
    assert not re.search(r"[\x00-\x20\x7f]", kept)


@given(st.sampled_from(OPEN_REDIRECT_TRICKS[:-3]), st.text(max_size=40))
def test_a_trick_stays_refused_whatever_query_follows(trick, query):
    if "?" in trick or "#" in trick:
        return
    assert safe_next(f"{trick}?{quote(query)}") is None


def test_url_with_next_keeps_next_when_it_fits_and_drops_the_query_when_not():
    short = "/profile?tab=roles"
    assert url_with_next("/login", short) == "/login?" + urlencode({"next": short})
    huge_query = "q=" + "%E2%82%AC" * 700  # about 6 kB, 3 times that once encoded again
    long_next = "/profile?" + huge_query
    url = url_with_next("/login", long_next)
    assert url == "/login?next=%2Fprofile"
    assert len(url) <= MAX_URL_TARGET
    fitting = "/profile?" + "q=" + "a" * (MAX_URL_TARGET - 200)
    assert url_with_next("/login", fitting) == "/login?" + urlencode({"next": fitting})
    assert url_with_next("/login", None) == "/login"
