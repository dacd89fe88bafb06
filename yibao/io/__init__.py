"""Bulk claim files: read CSV (UTF-8 / GB18030), Parquet and Excel, validate, quarantine rejects."""

from yibao.io.load import Load, LoadSummary, load_claims, validate_file

__all__ = ["Load", "LoadSummary", "load_claims", "validate_file"]
