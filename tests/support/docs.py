"""The fenced code blocks of the docs (Markdown), for the tests that follow them word for word:
tests/e2e/test_docs.py runs them, tests/e2e/test_fork.py writes the forking page's files."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.support.processes import ROOT

FENCE = re.compile(r"^(```+|~~~+)(.*)$")


@dataclass(frozen=True)
class Block:
    """A fenced code block: where it is, its language, its modifiers and its text."""

    path: str
    line: int
    language: str
    modifiers: tuple[str, ...]
    text: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def file(self) -> str | None:
        """The repository path a block is (or changes), when its first modifier names one:
        ```python app/me.py``` is that whole file, ```diff app/__init__.py``` a change to it."""
        return self.modifiers[0] if self.modifiers and "/" in self.modifiers[0] else None


def blocks(path: str) -> list[Block]:
    """Every fenced block of a Markdown file, in order."""
    found, lines = [], (ROOT / path).read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index].strip())
        if not opening:
            index += 1
            continue
        fence, info = opening.group(1), opening.group(2).split()
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == fence)
        body = "\n".join(lines[index + 1 : end]) + "\n"
        language = info[0] if info else ""
        found.append(Block(path, index + 1, language, tuple(info[1:]), body))
        index = end + 1
    return found


def apply_change(text: str, change: str) -> str:
    """text after a ```diff``` block of the docs: hunks separated by lines starting `@@`, each
    hunk's context (` `) and removed (`-`) lines found once in text, in order, and replaced by
    its context and added (`+`) lines. Raises ValueError when a hunk does not match once."""
    for hunk in re.split(r"^@@.*\n", change, flags=re.M):
        lines = [line for line in hunk.splitlines() if line]
        if not lines:
            continue
        old = "".join(line[1:] + "\n" for line in lines if line[0] in " -")
        new = "".join(line[1:] + "\n" for line in lines if line[0] in " +")
        if text.count(old) != 1:
            raise ValueError(f"this change does not match the file once:\n{hunk}")
        text = text.replace(old, new)
    return text
