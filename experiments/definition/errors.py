"""The two error types: a definition that cannot load, and a rule that refused what a client asked."""

from __future__ import annotations


class DefinitionError(ValueError):
    """A researcher's experiment definition is invalid; raised when experiments load."""


class ApplicationError(Exception):
    """A rule refused what a client asked; the message is safe to show to that client. Every refusal a page or a
    socket can meet is one (or a subclass naming where it comes from), and experiments/flow/errors.py turns it into
    the HTTP reply (with `status`) or the socket's error message, in one place."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
