"""Several Cookie header fields read as one list (issue 23, item 8; RFC 9113 section 8.2.3):
split as a client or HTTP/2 proxy may split them, joined as gunicorn joins repeated fields
(a comma), every cookie is read as it was sent (app/web/security.py, CookieFields)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.http import parse_cookie

from app.web.security import CookieFields

# RFC 6265 section 4.1.1: a token for the name, cookie-octets for the value.
names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.",
    min_size=1,
    max_size=12,
)
values = st.text(
    alphabet="".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '",;\\'), max_size=30
)


def read(cookie_header: str) -> dict[str, str]:
    seen: dict[str, str] = {}

    def app(environ, start_response):
        seen.update(parse_cookie(environ.get("HTTP_COOKIE", "")))
        return []

    CookieFields(app)({"HTTP_COOKIE": cookie_header}, lambda *a: None)
    return seen


def test_the_issues_input_two_fields_keep_the_session():
    joined = "theme=dark,portal_session=Zm9vYmFyYmF6cXV4cXV1eA"  # as gunicorn joins two fields
    assert read(joined)["portal_session"] == "Zm9vYmFyYmF6cXV4cXV1eA"


@given(
    cookies=st.dictionaries(names, values, min_size=1, max_size=8),
    cuts=st.lists(st.integers(0, 7), max_size=4),
    joiner=st.sampled_from([",", ", ", ",\t"]),
)
def test_cookies_split_into_fields_are_read_as_sent(cookies, cuts, joiner):
    pairs = [f"{name}={value}" for name, value in cookies.items()]
    fields, start = [], 0
    for cut in sorted({c for c in cuts if 0 < c < len(pairs)}):
        fields.append("; ".join(pairs[start:cut]))
        start = cut
    fields.append("; ".join(pairs[start:]))
    assert read(joiner.join(fields)) == cookies


def test_one_field_is_left_as_it_is():
    header = "a=1; b=2"
    assert read(header) == {"a": "1", "b": "2"}
