"""The benchmark's check that a round measured the app, not gunicorn's accept race."""

from bench.scenarios import BALANCE, worker_balance


def test_a_round_one_worker_served_alone_is_run_again():
    # Seen on this machine: all 16 connections on one worker, the other idle.
    assert worker_balance({1: 10.0, 2: 5.0}, {1: 14.54, 2: 5.03}) < BALANCE


def test_a_round_both_workers_served_counts():
    assert worker_balance({1: 10.0, 2: 5.0}, {1: 13.4, 2: 8.32}) >= BALANCE


def test_a_worker_started_during_the_round_counts_from_zero():
    assert worker_balance({1: 2.0}, {1: 4.0, 3: 0.1}) < BALANCE


def test_one_worker_or_no_work_is_nothing_to_compare():
    assert worker_balance({1: 1.0}, {1: 3.0}) == 1.0
    assert worker_balance({1: 1.0, 2: 1.0}, {1: 1.0, 2: 1.0}) == 1.0
