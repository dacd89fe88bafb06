"""yibao: medical-insurance settlement for county medical alliances (紧密型县域医共体)."""

from importlib.metadata import version
from typing import Any

from yibao.models import Alliance, Claim, Institution, Region

__version__ = version("yibao")

__all__ = ["Alliance", "Claim", "Institution", "Region", "__version__", "estimate", "settle"]


def __getattr__(name: str) -> Any:
    """`yibao.settle(case)`: the year's settlement of a `YearCase`; `yibao.estimate(claim, policy, …)`: one stay's
    points and payment (the settlement modules load on first use)."""
    if name == "settle":
        from yibao.alliance.settle import settle_year

        return settle_year
    if name == "estimate":
        from yibao.settlement.estimate import estimate

        return estimate
    raise AttributeError(f"module 'yibao' has no attribute {name!r}")
