"""Gather: two to four people collect coins on one grid (a multi-human rollback demo)."""
