"""The files of a ruleset directory and their columns (the CHS-DRG table format, FORMAT.md)."""

from __future__ import annotations

TABLE_COLUMNS: dict[str, list[str]] = {
    "mdc.csv": ["mdc", "order"],
    "mdc_conditions.csv": ["mdc", "seq", "predicate", "list", "arg"],
    "mdc_diagnoses.csv": ["mdc", "code", "trauma_region"],
    "adrg.csv": ["adrg", "mdc", "order"],
    "adrg_conditions.csv": ["adrg", "seq", "predicate", "list", "arg"],
    "adrg_diagnoses.csv": ["adrg", "list", "code"],
    "adrg_procedures.csv": ["adrg", "list", "code", "tag"],
    "adrg_procedure_combos.csv": ["adrg", "alternative", "tag"],
    "drg.csv": ["drg", "adrg", "order", "split", "name"],
    "complications.csv": ["code", "level", "exclusion_table"],
    "principal_exclusions.csv": ["code", "exclusion_table"],
    "or_procedures.csv": ["code", "name"],
    "diagnosis_names.csv": ["code", "name"],
    "procedure_names.csv": ["code", "name"],
}
"""Every file of a ruleset directory, with its columns in order."""
