"""System checks for the researcher's experiment definitions."""

from __future__ import annotations

from django.core.checks import Error, register

from experiments import registry
from experiments.errors import DefinitionError


@register()
def check_experiment_definitions(app_configs, **kwargs) -> list[Error]:
    """experiments.E001: every configured experiment imports and validates."""
    try:
        registry.all_experiments()
    except DefinitionError as error:
        return [Error(str(error), hint="Fix the experiment definition or MUG_EXPERIMENTS.", id="experiments.E001")]
    return []
