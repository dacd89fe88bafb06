"""Alliance settlement (医共体总额包干): budget, charges, surplus and overspend, allocation to members.

The names below load on first use: the policy models of this package are imported by `yibao.settlement.policy`,
which the settlement modules import in turn.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "YearCase": "yibao.alliance.settle",
    "YearSettlement": "yibao.alliance.settle",
    "settle_year": "yibao.alliance.settle",
    "load_year_case": "yibao.alliance.case_dir",
    "write_year": "yibao.alliance.case_dir",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'yibao.alliance' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
