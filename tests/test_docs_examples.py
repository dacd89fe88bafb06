"""Every Python example in README.md and docs/*.md runs, and prints what its comments say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
EXPECTED = re.compile(r"#\s*(.+)$")


def _examples() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for i, block in enumerate(BLOCK.findall(doc.read_text(encoding="utf-8"))):
            found.append((f"{doc.name}#{i + 1}", block))
    return found


def _expected_output(block: str) -> list[str]:
    """Lines of the form `print(...)  # value` state what that print shows."""
    return [EXPECTED.search(line).group(1) for line in block.splitlines() if line.startswith("print(") and "#" in line]


@pytest.mark.parametrize(("name", "block"), _examples(), ids=[name for name, _ in _examples()])
def test_example_runs(name: str, block: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    for expected in _expected_output(block):
        assert expected in printed, f"{name}: expected {expected!r} in {printed}"


def test_there_are_examples() -> None:
    assert len(_examples()) >= 1
