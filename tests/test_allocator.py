"""Importing yibao sets polars' allocator to keep freed memory (polars appends the variable to its own settings,
and jemalloc takes the last value of each); a value the user set is left alone."""

from __future__ import annotations

import os
import subprocess
import sys

from yibao.allocator import KEEP_FREED_MEMORY, POLARS_ALLOCATOR

READ_SETTING = f"import yibao, os; print(os.environ[{POLARS_ALLOCATOR!r}])"


def _setting_after_import(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != POLARS_ALLOCATOR} | env
    result = subprocess.run([sys.executable, "-c", READ_SETTING], env=clean, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_importing_yibao_keeps_freed_memory_longer() -> None:
    assert _setting_after_import().endswith("," + KEEP_FREED_MEMORY)


def test_a_users_setting_wins() -> None:
    setting = _setting_after_import(**{POLARS_ALLOCATOR: "dirty_decay_ms:0"})
    assert setting.endswith(",dirty_decay_ms:0") and KEEP_FREED_MEMORY not in setting
