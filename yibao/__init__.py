"""yibao: medical-insurance settlement for county medical alliances (紧密型县域医共体)."""

from importlib.metadata import version
from typing import Any

from yibao.models import Alliance, Claim, Institution, Region

__version__ = version("yibao")

__all__ = ["Alliance", "Claim", "Institution", "Region", "__version__", "settle"]


def __getattr__(name: str) -> Any:
    """`yibao.settle(case)`: the year's settlement of a `YearCase` (loads the settlement modules on first use)."""
    if name == "settle":
        from yibao.alliance.settle import settle_year

        return settle_year
    raise AttributeError(f"module 'yibao' has no attribute {name!r}")
