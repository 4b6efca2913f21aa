"""The one test clock: epoch seconds that the test moves by hand."""

from __future__ import annotations

import time


class Clock:
    """A clock for `clock=` parameters (epoch seconds). Frozen at `start` when given (unit tests,
    where nothing else keeps time), else real time plus an offset (tests against a real server,
    whose tokens are dated by real time). `advance` moves it, forward or back."""

    def __init__(self, start: float | None = None) -> None:
        self.start = start
        self.offset = 0.0

    def __call__(self) -> float:
        base = time.time() if self.start is None else self.start
        return base + self.offset

    @property
    def now(self) -> float:
        return self()

    def advance(self, seconds: float) -> None:
        self.offset += seconds
