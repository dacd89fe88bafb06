"""yibao: medical-insurance settlement for county medical alliances (紧密型县域医共体)."""

from importlib.metadata import version

from yibao.models import Alliance, Claim, Institution, Region

__version__ = version("yibao")

__all__ = ["Alliance", "Claim", "Institution", "Region", "__version__"]
