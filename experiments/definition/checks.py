"""System checks for the researcher's experiment definitions."""

from __future__ import annotations

from django.core.checks import Error, Warning, register

from experiments.definition import registry
from experiments.definition.errors import DefinitionError
from experiments.definition.gym_scene import GymScene
from experiments.definition.package_pins import pin_conflicts
from experiments.definition.pyodide_preflight import preflight_messages
from experiments.definition.runtime_bundle import ClosureError, package_problems, scene_bundle


@register()
def check_experiment_definitions(app_configs, **kwargs) -> list[Error]:
    """experiments.E001 (or the env's own id, E190-E192: see preflight.py): every configured experiment imports and
    validates. Every broken experiment is listed, not only the first; the others still load."""
    return [
        Error(str(error), hint=_hint(error), id=getattr(error, "check_id", "experiments.E001"))
        for _path, error in registry.load_errors()
    ]


def _hint(error) -> str:
    if getattr(error, "check_id", None):
        return "Only this experiment is refused; fix its env (the message says how) and run `manage.py check` again."
    return "Fix the experiment definition or MUG_EXPERIMENTS."


@register()
def check_shipped_code(app_configs, **kwargs) -> list[Error]:
    """experiments.E002: every game's code (the import closure of its env and policies) resolves, and what runs in
    the browser imports nothing server-only."""
    errors = []
    for definition in registry.all_experiments().values():
        for scene in definition.scenes():
            variants = (scene, scene.solo_variant()) if isinstance(scene, GymScene) else ()
            for variant in filter(None, variants):
                try:
                    scene_bundle(variant)
                except ClosureError as error:
                    errors.append(
                        Error(
                            f"experiment {definition.slug!r}, scene {scene.scene_id!r}: {error}",
                            hint="Everything shipped is readable by participants; see runtime_bundle.",
                            id="experiments.E002",
                        )
                    )
    return errors


@register()
def check_package_pins(app_configs, **kwargs) -> list[Warning]:
    """experiments.W001: two game scenes of one study pin different versions of a package (a warning: it works, but
    the later scene cannot reuse the interpreter the earlier one booted)."""
    try:
        definitions = registry.all_experiments()
    except DefinitionError:
        return []  # E001 says why
    return [
        Warning(
            f"experiment {definition.slug!r}: {conflict}",
            hint="Pin the same version in every game scene of the study to keep one Python per visit.",
            id="experiments.W001",
        )
        for definition in definitions.values()
        for conflict in pin_conflicts(definition.scenes())
    ]


@register()
def check_scene_packages(app_configs, **kwargs) -> list[Error]:
    """experiments.E019: every browser game's packages (its `packages` and the installed distributions its code
    imports) can be installed by browsers from the configured Pyodide and the wheelhouse; one error per scene."""
    try:
        definitions = registry.all_experiments()
    except DefinitionError:
        return []  # E001 says why
    errors = []
    for definition in definitions.values():
        for scene in definition.scenes():
            variants = (scene, scene.solo_variant()) if isinstance(scene, GymScene) and not scene.on_server else ()
            found: list[str] = []
            for variant in filter(None, variants):
                try:
                    found += [problem for problem in package_problems(variant) if problem not in found]
                except ClosureError:
                    continue  # E002 says why
            if found:
                where = f"experiment {definition.slug!r}, scene {scene.scene_id!r}"
                errors.append(
                    Error(
                        f"{where}: " + "; ".join(found),
                        hint="Participants could not load this game.",
                        id="experiments.E019",
                    )
                )
    return errors


@register()
def check_env_in_pyodide(app_configs, **kwargs) -> list[Error | Warning]:
    """experiments.E193 / W193: every browser game's env, with its exact bundle and packages, runs in the
    participants' interpreter (Pyodide under Node.js), per MUG_PREFLIGHT; see pyodide_preflight.py."""
    return preflight_messages(registry.all_experiments())
