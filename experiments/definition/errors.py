"""Errors raised by experiment definitions and the participant flow."""

from __future__ import annotations


class DefinitionError(ValueError):
    """A researcher's experiment definition is invalid; raised when experiments load."""


class ApplicationError(Exception):
    """A domain rule refused an operation; the message is safe to show."""
