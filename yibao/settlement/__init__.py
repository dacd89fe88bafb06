"""Point-method settlement (点数法): policies as data, case points in numba, monthly and annual clearing in fen."""

from yibao.settlement.cases import CASE_COLUMNS, SettlementCases, prepare_cases, read_cases, read_institutions
from yibao.settlement.estimate import Estimate, estimate
from yibao.settlement.points import CaseClass
from yibao.settlement.policy import Policy, load_policy
from yibao.settlement.settle import Settlement, settle

__all__ = [
    "CASE_COLUMNS",
    "CaseClass",
    "Estimate",
    "Policy",
    "Settlement",
    "SettlementCases",
    "estimate",
    "load_policy",
    "prepare_cases",
    "read_cases",
    "read_institutions",
    "settle",
]
