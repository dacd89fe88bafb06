"""Grouping rulesets: directories of tables in the CHS-DRG table format."""
