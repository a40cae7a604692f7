"""Readers shared by dataset adapters (DICOM headers, NIfTI masks, tables)."""
