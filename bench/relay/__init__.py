"""Relay load benchmark: N two-player games at 30 inputs/s per client, anchor vs echo vs our relay."""
