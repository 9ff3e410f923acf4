"""Finds the researcher's experiments from settings.MUG["EXPERIMENTS"] ("module:attribute" paths).

One study that fails to load does not stop the others: each failure is kept (`load_errors`) and reported by the
system checks, every one of them at once (so `manage.py check` and runserver refuse to start, listing them all); a
process started without the checks (Daphne) serves the studies that loaded and answers the broken one's links 404.
"""

from __future__ import annotations

import importlib
import logging
import threading
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from experiments.definition.errors import DefinitionError
from experiments.definition.experiment import Experiment

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[str, Experiment] | None = None
_errors: list[tuple[str, DefinitionError]] = []


def load_experiment(path: str) -> Experiment:
    """Import one "module:attribute" path and validate the Experiment it names."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise DefinitionError(f"{path!r} must look like 'package.module:attribute'")
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # noqa: BLE001 (a study module that raises on import is that study's error only)
        raise DefinitionError(f"cannot import {module_name!r} for {path!r}: {type(error).__name__}: {error}") from None
    experiment = getattr(module, attribute, None)
    if not isinstance(experiment, Experiment):
        raise DefinitionError(f"{path!r} is not an experiments.definition.experiment.Experiment")
    try:
        experiment.prepare(Path(module.__file__).resolve().parent)
    except DefinitionError as error:
        raise _named(error, f"experiment {experiment.slug!r} ({path})") from None
    except Exception as error:  # noqa: BLE001 (a scene's own code failing is reported, never a traceback)
        raise DefinitionError(f"experiment {experiment.slug!r} ({path}): {type(error).__name__}: {error}") from None
    return experiment


def _named(error: DefinitionError, where: str) -> DefinitionError:
    """The same error (its type and check id kept), its message prefixed with the experiment."""
    error.args = (f"{where}: {error}", *error.args[1:])
    return error


def all_experiments() -> dict[str, Experiment]:
    """Every configured experiment by slug; loaded once per process, reloaded when settings change."""
    global _cache, _errors
    with _lock:
        if _cache is None:
            loaded: dict[str, Experiment] = {}
            errors: list[tuple[str, DefinitionError]] = []
            for path in settings.MUG["EXPERIMENTS"]:
                try:
                    experiment = load_experiment(path)
                    if experiment.slug in loaded:
                        raise DefinitionError(f"two experiments use the slug {experiment.slug!r}")
                except DefinitionError as error:
                    logger.error("experiment %s is not served: %s", path, error)
                    errors.append((path, error))
                    continue
                loaded[experiment.slug] = experiment
            _cache, _errors = loaded, errors
        return _cache


def load_errors() -> list[tuple[str, DefinitionError]]:
    """The experiments that failed to load, as ("module:attribute", error), in MUG_EXPERIMENTS order."""
    all_experiments()
    return list(_errors)


def get_experiment(slug: str) -> Experiment | None:
    return all_experiments().get(slug)


@receiver(setting_changed)
def _reset_on_settings_change(setting: str, **kwargs) -> None:
    global _cache
    if setting == "MUG":
        with _lock:
            _cache = None
