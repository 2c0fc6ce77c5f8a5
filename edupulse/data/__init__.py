"""Data in: input layouts, validation, loading and synthetic districts."""
