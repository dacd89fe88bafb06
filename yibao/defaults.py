"""Where the embedded defaults live: the demo ruleset and policy shipped with the project, the run store's URL."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_RULESET = PROJECT_ROOT / "rulesets" / "demo"
"""The demonstration subset of CHS-DRG 1.1 (`rulesets/demo/`), the default for `yibao synth` and `yibao demo`."""
DEMO_POLICY = PROJECT_ROOT / "settlement_cases" / "demo-county" / "policy.toml"
"""The demo county's point-method policy (`yibao demo` settles its synthetic year with it)."""
DEFAULT_URL = "sqlite:///yibao.db"
"""The run store when no URL is given: `yibao.db` in the working directory."""
