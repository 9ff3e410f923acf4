"""Finds the researcher's experiments from settings.MUG["EXPERIMENTS"] ("module:attribute" paths)."""

from __future__ import annotations

import importlib
import threading
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from experiments.definition.errors import DefinitionError
from experiments.definition.experiment import Experiment

_lock = threading.Lock()
_cache: dict[str, Experiment] | None = None


def load_experiment(path: str) -> Experiment:
    """Import one "module:attribute" path and validate the Experiment it names."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise DefinitionError(f"{path!r} must look like 'package.module:attribute'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise DefinitionError(f"cannot import {module_name!r} for {path!r}: {error}") from error
    experiment = getattr(module, attribute, None)
    if not isinstance(experiment, Experiment):
        raise DefinitionError(f"{path!r} is not an experiments.definition.experiment.Experiment")
    experiment.prepare(Path(module.__file__).resolve().parent)
    return experiment


def all_experiments() -> dict[str, Experiment]:
    """Every configured experiment by slug; loaded once per process, reloaded when settings change."""
    global _cache
    with _lock:
        if _cache is None:
            loaded: dict[str, Experiment] = {}
            for path in settings.MUG["EXPERIMENTS"]:
                experiment = load_experiment(path)
                if experiment.slug in loaded:
                    raise DefinitionError(f"two experiments use the slug {experiment.slug!r}")
                loaded[experiment.slug] = experiment
            _cache = loaded
        return _cache


def get_experiment(slug: str) -> Experiment | None:
    return all_experiments().get(slug)


@receiver(setting_changed)
def _reset_on_settings_change(setting: str, **kwargs) -> None:
    global _cache
    if setting == "MUG":
        with _lock:
            _cache = None
