"""`load_claims` loads the compiled passes in a thread while polars reads: the made-up rows it validates for that
must reach every pass, with the same argument types as a real file (else the file's first call compiles anew)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.test_io_messy import TEXT

PROBE = """
import sys
from numba.core.dispatcher import Dispatcher
import yibao.text_scans as scans
from yibao.io.load import _load_compiled_passes
from yibao.io import load_claims

passes = {name: f for name, f in vars(scans).items() if isinstance(f, Dispatcher) and not name.startswith("_")}
_load_compiled_passes()
loaded = {name: len(f.signatures) for name, f in passes.items()}
load_claims(sys.argv[1])
print(sorted(name for name, count in loaded.items() if count == 0))
print(sorted(name for name, f in passes.items() if len(f.signatures) != loaded[name]))
"""


def test_made_up_rows_load_every_pass_as_a_file_uses_it(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(TEXT.replace(",,", ',"",').replace("李四", " 李四 "), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], check=True, capture_output=True, text=True)
    not_loaded, compiled_again = done.stdout.strip().splitlines()
    assert (not_loaded, compiled_again) == ("[]", "[]")
