"""The fidelity tests' tally: how many differential cases agree, are listed deviations, differ."""

from __future__ import annotations

import re

from tests.fidelity.deviations import DEVIATIONS

DIFFERENTIAL = re.compile(r"test_differential\.py::test_same_answer_from_both_servers\[(.*)\]$")


def pytest_terminal_summary(terminalreporter) -> None:
    """One line after the run: `differential: N cases agree, M deliberate deviations, K differ`."""
    counts = {"agree": 0, "deviations": 0, "differ": 0}
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            found = DIFFERENTIAL.search(getattr(report, "nodeid", ""))
            if found is None or report.when != "call":
                continue
            if outcome == "failed":
                counts["differ"] += 1
            else:
                counts["deviations" if found.group(1) in DEVIATIONS else "agree"] += 1
    if any(counts.values()):
        terminalreporter.write_line(
            f"differential (emulator vs Spring Security OAuth2 2.4.0): {counts['agree']} cases "
            f"agree, {counts['deviations']} deliberate deviations, {counts['differ']} differ"
        )
