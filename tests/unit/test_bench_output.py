"""`make bench` writes its results outside the tracked bench/results.md unless asked to."""

import subprocess
from pathlib import Path

from bench.__main__ import parse_args

ROOT = Path(__file__).resolve().parents[2]


def make_bench_command(*variables: str) -> str:
    """The bench line `make bench` would run (make -n runs nothing)."""
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "bench", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stdout.splitlines() if "-m bench" in line)


def test_by_default_the_results_go_to_an_ignored_folder():
    output = Path(parse_args([]).output).resolve()
    assert output == ROOT / "bench" / "out" / "results.md"
    assert "bench/out/" in (ROOT / ".gitignore").read_text().splitlines()
    assert "--output" not in make_bench_command()


def test_results_asks_for_the_tracked_file():
    assert make_bench_command("RESULTS=bench/results.md").endswith("--output bench/results.md")
