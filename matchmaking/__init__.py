"""Waiting rooms and matchers for multi-human scenes."""
