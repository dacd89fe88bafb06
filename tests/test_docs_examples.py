"""Every example in README.md and docs/*.md runs.

- A ```python block runs as a script and prints what its comments say (`print(...)  # value`).
- The ```console blocks of a document are one session, as a reader would type them: their `$ yibao …` lines run in
  order in one empty folder, into which the repository paths the commands name (`settlement_cases/<case>`,
  `rulesets/<name>`, `docs/examples/<name>`) are copied first. Each must exit 0, and each output line the document
  shows under a command must appear in that command's output (compared without table borders and runs of spaces;
  a line `…` stands for lines left out).
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
CONSOLE = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
EXPECTED = re.compile(r"#\s*(.+)$")
REPO_PATH = re.compile(r"(?<![\w/.-])((?:settlement_cases|rulesets|docs/examples)/[\w.-]+)")
BORDERS = re.compile(r"[\u2500-\u257f]+")
PROMPT = "$ "
ELLIPSIS = ("…", "...")
CLI = "import sys; from yibao.cli import app; sys.exit(app(prog_name='yibao'))"
WIDTH = "100"
"""Terminal width for the CLI's tables, as the docs show them."""


def _blocks(pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for i, block in enumerate(pattern.findall(doc.read_text(encoding="utf-8"))):
            found.append((f"{doc.name}#{i + 1}", block))
    return found


def _expected_output(block: str) -> list[str]:
    """Lines of the form `print(...)  # value` state what that print shows."""
    return [EXPECTED.search(line).group(1) for line in block.splitlines() if line.startswith("print(") and "#" in line]


@pytest.mark.parametrize(("name", "block"), _blocks(BLOCK), ids=[name for name, _ in _blocks(BLOCK)])
def test_example_runs(name: str, block: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    for expected in _expected_output(block):
        assert expected in printed, f"{name}: expected {expected!r} in {printed}"


def session(block: str) -> list[tuple[str, list[str]]]:
    """The commands of a console block, each with the output lines shown under it."""
    commands: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith(PROMPT):
            commands.append((line[len(PROMPT) :].strip(), []))
        elif line.strip() and line.strip() not in ELLIPSIS:
            assert commands, f"output before the first command: {line!r}"
            commands[-1][1].append(line)
    return commands


def _plain(line: str) -> str:
    return " ".join(BORDERS.sub(" ", line).split())


def _arguments(command: str, folder: Path) -> list[str]:
    """The command's words after `yibao`, with `*` patterns expanded in `folder` as a shell would."""
    words = shlex.split(command)
    assert words[0] == "yibao", f"a console example runs the yibao command only: {command!r}"
    expanded = []
    for word in words[1:]:
        matches = sorted(glob.glob(word, root_dir=folder)) if "*" in word else []
        expanded.extend(matches or [word])
    return expanded


def _copy_named_paths(block: str, folder: Path) -> None:
    for relative in sorted(set(REPO_PATH.findall(block))):
        source, target = REPO / relative, folder / relative
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _sessions() -> dict[str, str]:
    """Each document's console blocks, joined in order."""
    sessions: dict[str, list[str]] = {}
    for name, block in _blocks(CONSOLE):
        sessions.setdefault(name.split("#")[0], []).append(block)
    return {doc: "".join(blocks) for doc, blocks in sessions.items()}


@pytest.mark.parametrize(("doc", "blocks"), _sessions().items(), ids=list(_sessions()))
def test_console_session_runs(doc: str, blocks: str, tmp_path: Path) -> None:
    _copy_named_paths(blocks, tmp_path)
    env = {**os.environ, "COLUMNS": WIDTH, "NO_COLOR": "1"}
    for command, shown in session(blocks):
        done = subprocess.run([sys.executable, "-c", CLI, *_arguments(command, tmp_path)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=False)  # fmt: skip
        output = [_plain(line) for line in (done.stdout + done.stderr).splitlines()]
        assert done.returncode == 0, f"{doc}: `{command}` failed:\n{done.stdout}{done.stderr}"
        for line in shown:
            assert any(_plain(line) in printed for printed in output), (
                f"{doc}: `{command}` did not print {line!r}:\n{done.stdout}"
            )


def test_there_are_examples() -> None:
    assert len(_blocks(BLOCK)) >= 1
    assert len(_blocks(CONSOLE)) >= 1
    assert all(session(block) for _, block in _blocks(CONSOLE)), "a console block without a `$ yibao …` line"


def test_a_console_session_pairs_commands_with_their_output() -> None:
    block = "$ yibao runs list --db sqlite:///y.db\n│ 1 │ annual │\n…\n\n$ yibao runs show 1\n"
    assert session(block) == [("yibao runs list --db sqlite:///y.db", ["│ 1 │ annual │"]), ("yibao runs show 1", [])]
    assert _plain("│ 1        │ annual    │") == "1 annual"
    assert REPO_PATH.findall("yibao settle settlement_cases/hospital-report --out x/settlement_cases/y") == [
        "settlement_cases/hospital-report"
    ]
