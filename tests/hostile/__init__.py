"""Hostile inputs, kept as tests (issue 11)."""
