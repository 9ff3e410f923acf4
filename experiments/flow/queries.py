"""Query helpers for the hot paths: a unique row without first()'s ORDER BY, a row lock without loading the row."""

# Under load most of an upload's CPU was the ORM compiling queries; first() and a model's Meta.ordering add an ORDER
# BY (resolved through joins and expression copies) that a lookup by a unique key never needs.

from __future__ import annotations

from django.db.models import Model, QuerySet


def one_or_none(queryset: QuerySet) -> Model | None:
    """The row a lookup by a unique key finds, or None."""
    return next(iter(queryset.order_by()[:1]), None)


def lock_rows(queryset: QuerySet) -> None:
    """Lock the rows until the transaction ends (PostgreSQL; SQLite's writers are serialised anyway)."""
    list(queryset.order_by().select_for_update().values_list("pk", flat=True))
