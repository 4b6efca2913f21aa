"""The documentation site in docs/ builds strictly, as `make docs` builds it: any warning (a link
to a page or a heading that does not exist, a missing include, a bad reference) fails it."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def build(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """sphinx-build with the flags `make docs` uses (-W: warnings are errors)."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", source, out],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_site_builds_strictly(tmp_path):
    result = build(DOCS, tmp_path / "html")
    assert result.returncode == 0, result.stdout + result.stderr
    pages = {page.stem for page in DOCS.glob("*.md")}
    assert {"index", "running", "forking", "settings", "emulator"} <= pages
    assert {page.stem for page in (tmp_path / "html").glob("*.html")} >= pages


def test_a_broken_link_heading_or_include_fails_the_build(tmp_path):
    """The same build, on a copy of the site with one fault of each kind, fails and names each."""
    source = tmp_path / "docs"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns("_build"))
    with open(source / "running.md", "a") as page:
        page.write("\n[a page](no-such-page.md), [a heading](settings.md#no-such-heading)\n")
        page.write("\n```{include} no-such-file.md\n```\n")
    result = build(source, tmp_path / "html")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for fault in ("no-such-page.md", "no-such-heading", "no-such-file.md"):
        assert fault in output, output
