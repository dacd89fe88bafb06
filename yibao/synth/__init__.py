"""Synthetic regions and claim years (合成数据): deterministic for a seed, generated chunk by chunk."""

from yibao.synth.case import CaseSummary, generate_case
from yibao.synth.params import SCALES, GenerationParams

__all__ = ["SCALES", "CaseSummary", "GenerationParams", "generate_case"]
