"""A value placed in a platform URL is exactly one path segment (issue 23, item 4): what could
be read as another path is refused before any call (app/cocoon/api_http.py, path_segment)."""

from __future__ import annotations

from urllib.parse import quote, unquote

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from app.cocoon.api_http import Call, path_segment
from app.cocoon.errors import NotASegment, NotFound

BASE = "https://platform.example/api/v1/users/me/applications/approvals/"

dots = st.sampled_from([".", ".."])


def encodings(text: str, times: int) -> str:
    """text with every character percent-encoded `times` times (upper or lower hex)."""
    for _ in range(times):
        text = "".join(f"%{ord(c):02x}" if c in ".%/\\" or ord(c) < 32 else c for c in text)
    return text


unsafe = st.one_of(
    st.just(""),
    dots,
    st.builds(encodings, dots, st.integers(1, 3)),
    st.builds(lambda d: d.upper(), st.builds(encodings, dots, st.integers(1, 2))),
    st.builds(lambda d, rest: f"{d};{rest}", dots, st.text(max_size=5)),
    st.builds(lambda a, b: f"{a}/{b}", st.text(max_size=5), st.text(max_size=5)),
    st.builds(lambda a, b: f"{a}%2F{b}", st.text(max_size=5), st.text(max_size=5)),
    st.builds(lambda a, b: f"{a}\\{b}", st.text(max_size=5), st.text(max_size=5)),
    st.builds(
        lambda a, c, b: f"{a}{c}{b}",
        st.text(max_size=5),
        st.characters(codec="utf-8", categories=["Cc"]),
        st.text(max_size=5),
    ),
    st.builds(lambda c: encodings(c, 1), st.characters(max_codepoint=31)),
    st.text(min_size=257, max_size=300),
)


@pytest.mark.parametrize("value", [".", ".."])
def test_the_issues_input_dot_segments_are_refused(value):
    with pytest.raises(NotASegment):
        path_segment(value)


@given(unsafe)
def test_what_could_be_another_path_is_refused(value):
    with pytest.raises(NotASegment):
        path_segment(value)


@given(st.text(min_size=1, max_size=256))
def test_whatever_is_accepted_stays_one_segment_through_the_http_client(value):
    try:
        segment = path_segment(value)
    except NotASegment:
        return
    assert unquote(segment) == value and "/" not in segment
    prepared = requests.Request("DELETE", BASE + segment).prepare()
    assert prepared.path_url == "/api/v1/users/me/applications/approvals/" + segment


@pytest.mark.parametrize(
    "value", ["8f14e45f-ceea-467f-a0e6-c1e58f5e0c1d", "approval.1", "a b", "é", "...", "a%"]
)
def test_ids_are_kept_whole(value):
    assert path_segment(value) == quote(value, safe="")


def test_a_call_puts_each_value_in_its_segment_and_refuses_before_any_call():
    call = Call.to("DELETE", "/users/me/applications/approvals/{approvalId}", approvalId="a b")
    assert call.path == "/users/me/applications/approvals/a%20b"
    assert str(call) == "DELETE /users/me/applications/approvals/{approvalId}"
    with pytest.raises(NotFound):  # the 404 page: it names no approval
        Call.to("DELETE", "/x/{id}", id="..")
    with pytest.raises(KeyError):
        Call.to("DELETE", "/x/{id}")
