"""Synthetic data for demonstrations and the bench: `pusterum demo-data` (never real content)."""
