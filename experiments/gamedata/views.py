"""Participant endpoints of a gym scene: the runtime's configuration, code bundle, data upload and error report."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from experiments.definition import registry
from experiments.definition.errors import ApplicationError
from experiments.definition.gym_scene import GymScene
from experiments.definition.runtime_bundle import scene_bundle, scene_packages
from experiments.definition.stager import base_id, is_branch_key
from experiments.flow import participant_reads
from experiments.flow.identity import participant_for
from experiments.flow.jsonbody import BadJson, parse_json
from experiments.flow.sockets import GAME_ROUTE, ROOM_ROUTE, SERVER_GAME_ROUTE, socket_path
from experiments.gamedata import episodes as gameplay
from experiments.gamedata.ingest import ChunkError, parse_chunk

logger = logging.getLogger(__name__)


PYODIDE_CORE = ["pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]


def upcoming_game(definition, participant) -> tuple[str, GymScene] | None:
    """The next game scene in the participant's stored plan, if one lies ahead (branches not yet resolved aside)."""
    for key in participant.plan[participant.position + 1 :]:
        scene = None if is_branch_key(key) else definition.scene(base_id(key))
        if isinstance(scene, GymScene):
            return key, scene
    return None


def preload_context(request: HttpRequest, experiment, definition, participant) -> dict:
    """On pages before a game: the game's runtime configuration (the page boots it in a worker right away)
    and Pyodide's core files to prefetch, for browsers or pages that do not boot early."""
    upcoming = upcoming_game(definition, participant)
    if upcoming is None:
        return {"preboot": None, "prefetch": []}
    key, scene = upcoming
    if scene.on_server:
        return {"preboot": None, "prefetch": []}  # nothing to load: the server steps the env
    base = request.build_absolute_uri(settings.MUG_RUNTIME["PYODIDE_URL"])
    return {
        "preboot": gym_runtime_config(request, experiment, participant, key, scene),
        "prefetch": [base + name for name in PYODIDE_CORE],
    }


def gym_runtime_config(request: HttpRequest, experiment, participant, key: str, scene: GymScene) -> dict:
    """Everything the browser needs to load and play this scene (embedded in the page as JSON)."""
    slug = experiment.slug
    if scene.on_server:
        return server_game_config(experiment, key, scene)
    bundle = scene_bundle(scene)
    wheel_index = request.build_absolute_uri(reverse("runtime:wheel-index"))
    return {
        "scene_key": key,
        "loop": scene.loop_config(),
        "num_episodes": scene.num_episodes,
        "packages": list(scene_packages(scene).requirements),
        "pyodide_url": request.build_absolute_uri(settings.MUG_RUNTIME["PYODIDE_URL"]),
        "index_urls": [wheel_index + "{package_name}/"],
        "bundle_url": reverse("experiments:gym-bundle", kwargs={"slug": slug, "scene_id": scene.scene_id})
        + f"?h={bundle.code_hash[:16]}",
        "data_url": reverse("experiments:gym-data", kwargs={"slug": slug}),
        "episode_url": reverse("experiments:gym-episode", kwargs={"slug": slug}),
        "error_url": reverse("experiments:gym-error", kwargs={"slug": slug}),
        "assets": scene_asset_urls(slug, scene),
        "model_url": reverse("experiments:gym-model", kwargs={"slug": slug, "sha256": "0"}).removesuffix("0.onnx"),
        "ort_url": request.build_absolute_uri(settings.STATIC_URL + "vendor/onnxruntime-web/"),
        "countdown_seconds": scene.countdown_seconds,
        "load_timeout_s": scene.load_timeout_s,
        "code_hash": bundle.code_hash,
        "waiting_room": _waiting_room_config(scene, slug),
        "relay_path": socket_path(GAME_ROUTE, slug) if scene.netcode else None,
        "unload_url": reverse("experiments:game-unloading", kwargs={"slug": slug}) if scene.netcode else None,
        "monitoring": _monitoring_config(slug),
        "client_error_url": reverse("experiments:client-error", kwargs={"slug": slug}),
        "milestone_url": reverse("experiments:milestone", kwargs={"slug": slug}),
        "netcode": scene.netcode.client() if scene.netcode else None,
    }


def scene_asset_urls(slug: str, scene: GymScene) -> list[dict]:
    """The scene's asset files as the page's worker fetches them: by content hash, so cacheable for good."""

    def url(file) -> str:
        kwargs = {"slug": slug, "sha256": file.sha256, "filename": file.path.name}
        return reverse("experiments:gym-asset", kwargs=kwargs)

    return [
        {"name": asset.name, "kind": "atlas" if asset.atlas else "image", "url": url(asset.image)}
        | ({"atlas_url": url(asset.atlas)} if asset.atlas else {})
        for asset in scene.scene_assets().values()
    ]


def server_game_config(experiment, key: str, scene: GymScene) -> dict:
    """A server-side game's page: no runtime to load, only the socket, the keys and the canvas."""
    loop = scene.loop_config()
    return {
        "scene_key": key,
        "runs_on": scene.runs_on,
        "loop": {
            **{name: loop[name] for name in ("keys", "input_mode", "fps", "width", "height", "background", "hud")},
            "pixel_art": scene.pixel_art,
            # who each seat is, for the line "You are ..." (agents by name only: no policy details)
            "agents": {agent: "human" if spec == "human" else "ai" for agent, spec in loop["agents"].items()},
            "agent_labels": loop["agent_labels"],
        },
        "num_episodes": scene.num_episodes,
        "countdown_seconds": scene.countdown_seconds,
        "error_url": reverse("experiments:gym-error", kwargs={"slug": experiment.slug}),
        "waiting_room": _waiting_room_config(scene, experiment.slug),
        "server_path": socket_path(SERVER_GAME_ROUTE, experiment.slug),
        "relay_path": None,
        "netcode": scene.netcode.client() if scene.netcode else None,
        "monitoring": _monitoring_config(experiment.slug),
        "client_error_url": reverse("experiments:client-error", kwargs={"slug": experiment.slug}),
        "milestone_url": reverse("experiments:milestone", kwargs={"slug": experiment.slug}),
    }


def _monitoring_config(slug: str) -> dict | None:

    monitoring = registry.get_experiment(slug).monitoring
    if monitoring is None:
        return None
    return {**monitoring.client(), "url": reverse("experiments:monitor", kwargs={"slug": slug})}


def _waiting_room_config(scene: GymScene, slug: str) -> dict | None:
    room = scene.waiting_room
    if room is None:
        return None
    return {
        "path": socket_path(ROOM_ROUTE, slug),
        "timeout_s": room.timeout_s,
        "show_count": room.show_count,
        "body": room.body,
    }


@require_GET
def gym_bundle(request: HttpRequest, slug: str, scene_id: str) -> JsonResponse:
    """The Python files to run in the browser, for a participant whose plan holds this in-browser scene only
    (everything in it is readable by them); private, cacheable because the URL carries the code hash."""
    _, definition, participant = participant_for(request, slug)
    if participant is None:
        return JsonResponse({"error": "no participant session"}, status=403)
    variants = participant_reads.bundle_variants(participant, definition, scene_id)
    if not variants:
        return JsonResponse({"error": "no game of yours runs in the browser under this name"}, status=404)
    bundles = [scene_bundle(scene) for scene in variants]
    wanted = request.GET.get("h", "")  # the scene or its solo variant (after a PlayWithAI timeout)
    bundle = next((b for b in bundles if wanted and b.code_hash.startswith(wanted)), bundles[0])
    response = JsonResponse({"files": bundle.files, "code_hash": bundle.code_hash})
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


@require_GET
def gym_model(request: HttpRequest, slug: str, sha256: str) -> FileResponse:
    """An ONNX model of one of the participant's in-browser games, by content hash (cacheable for good)."""
    _, definition, participant = participant_for(request, slug)
    if participant is None:
        return JsonResponse({"error": "no participant session"}, status=403)
    path = participant_reads.model_file(participant, definition, sha256)
    if path is None:
        return JsonResponse({"error": "no model of your games has this hash"}, status=404)
    response = FileResponse(path.open("rb"), content_type="application/octet-stream")
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


@require_GET
def gym_asset(request: HttpRequest, slug: str, sha256: str, filename: str) -> HttpResponse:
    """An image or atlas file one of the participant's in-browser games declares (GymScene.assets), by content hash
    and file name; anything else is a 404, whatever the path says."""
    _, definition, participant = participant_for(request, slug)
    if participant is None:
        return JsonResponse({"error": "no participant session"}, status=403)
    file = participant_reads.asset_file(participant, definition, sha256, filename)
    if file is None:
        return JsonResponse({"error": "no asset of your games has this hash and name"}, status=404)
    data = file.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:  # edited since the study loaded: this URL promised other bytes
        return JsonResponse({"error": "the asset changed since the study loaded"}, status=404)
    response = HttpResponse(data, content_type=file.content_type)
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def gym_data(request: HttpRequest, slug: str) -> JsonResponse:
    """Receive one chunk of step rows; answers with an acknowledgement or a clear error."""
    participant, definition = _playing(request, slug)
    try:
        chunk = parse_chunk(request.body)
        ack = gameplay.chunk_ingest(participant=participant, definition=definition, chunk=chunk)
    except ChunkError as error:
        logger.warning("chunk refused for participant %s: %s", participant.pk, error)
        raise
    return JsonResponse(ack)


@require_POST
def gym_episode(request: HttpRequest, slug: str) -> JsonResponse:
    """Begin the next episode of a single-player browser game: the server picks its index (the attempt, which the
    page's chunks name), its round (what the participant is shown, never past the scene's `num_episodes`) and seed;
    once every round is played, says how many are verified and still being checked. `tab` names the page load: a
    tab that another tab has taken over gets 409 with `"superseded": true`. Group and server games: 409."""
    participant, definition = _playing(request, slug)
    fields = _fields(request.body, "scene_key")
    scene_key, tab = str(fields["scene_key"]), fields.get("tab")
    try:
        begun = gameplay.episode_begin(
            participant=participant,
            definition=definition,
            scene_key=scene_key,
            tab=tab if isinstance(tab, str) and tab else None,
        )
    except gameplay.Superseded as error:
        return JsonResponse({"error": str(error), "superseded": True}, status=error.status)
    if begun is None:  # "checking": episodes still waiting for the server's check; the page waits for them
        return JsonResponse({"done": True, **gameplay.episodes_progress(participant=participant, scene_key=scene_key)})
    episode, round_number = begun
    return JsonResponse({"done": False, "episode": episode.index, "round": round_number, "seed": episode.seed})


@require_POST
def gym_error(request: HttpRequest, slug: str) -> JsonResponse:
    """The browser could not load or run the game: record it and end the flow with the error outcome."""
    participant, definition = _playing(request, slug)
    report = _fields(request.body[:20_000], "scene_key", "stage", "message")
    scene_key, stage, message = str(report["scene_key"]), str(report["stage"]), str(report["message"])
    recorded = gameplay.runtime_error_record(
        participant=participant, definition=definition, scene_key=scene_key, stage=stage, message=message
    )
    if not recorded:
        raise ApplicationError("the participant is not in this game", status=409)
    return JsonResponse({"next": reverse("experiments:flow", kwargs={"slug": slug})})


def _playing(request: HttpRequest, slug: str):
    _, definition, participant = participant_for(request, slug)
    if participant is None:
        raise ApplicationError("no participant session", status=403)
    return participant, definition


def _fields(body: bytes, *names: str) -> dict:
    """A JSON object holding these fields, or an ApplicationError saying which to send."""
    try:
        data = parse_json(body)
    except BadJson:
        data = None
    if not isinstance(data, dict) or any(name not in data for name in names):
        raise ApplicationError(f"send {', '.join(names)}")
    return data
