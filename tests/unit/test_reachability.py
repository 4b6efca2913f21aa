"""Whether the platform's pages can be reached (app/cocoon/reachability.py): a real TCP
connection to a real socket, at most one probe per interval whatever the number of callers."""

from __future__ import annotations

import socket
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.cocoon.reachability import MAX_PROBE_SECONDS, Reachability, host_and_port
from tests.support.clock import Clock


@pytest.fixture()
def listening():
    server = socket.create_server(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{server.getsockname()[1]}/api/oauth/authorize"
    server.close()


def closed_port_url() -> str:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connections are refused
    return f"http://127.0.0.1:{port}/logout"


def test_a_listening_host_is_reachable_and_a_closed_port_is_not(listening):
    assert Reachability(listening, interval=0, timeout=3).reachable()
    assert not Reachability(closed_port_url(), interval=0, timeout=3).reachable()


def test_the_probe_is_bounded_by_a_second():
    assert Reachability("http://x.example", interval=5, timeout=30).timeout == MAX_PROBE_SECONDS


@given(
    interval=st.integers(min_value=1, max_value=600),
    gaps=st.lists(st.floats(min_value=0, max_value=1000), min_size=1, max_size=30),
)
def test_one_probe_per_interval_whatever_the_calls(interval, gaps):
    clock = Clock(start=1000.0)
    calls: list[tuple[str, int]] = []

    class Connection:
        def close(self) -> None:
            pass

    def connect(address, timeout):
        calls.append(address)
        return Connection()

    reach = Reachability(
        "https://auth.example/api/oauth/authorize",
        interval=interval,
        timeout=1,
        clock=clock,
        connect=connect,
    )
    expected, last = 0, None
    for gap in gaps:
        clock.advance(gap)
        if last is None or clock() - last >= interval:
            expected, last = expected + 1, clock()
        assert reach.reachable()
    assert reach.probes == expected == len(calls)
    assert set(calls) == {("auth.example", 443)}


def test_threads_asking_at_once_share_one_probe(listening):
    reach = Reachability(listening, interval=60, timeout=3)
    answers: list[bool] = []
    threads = [threading.Thread(target=lambda: answers.append(reach.reachable())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [True] * 8 and reach.probes == 1


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://a.example/x", ("a.example", 443)),
        ("http://a.example/x", ("a.example", 80)),
        ("http://[::1]:9000/", ("::1", 9000)),
    ],
)
def test_host_and_port(url, address):
    assert host_and_port(url) == address
