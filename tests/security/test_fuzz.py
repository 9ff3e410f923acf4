"""Fuzzing participant pages' JSON and form endpoints: never a 500, nothing malformed stored, others still served."""

from __future__ import annotations

import json
import logging
import math
import random

import pytest
from django.test import Client

from experiments.definition.outcomes import OUTCOMES
from experiments.flow.client_errors import KINDS
from experiments.flow.models import ClientError, MonitorState, Participant, ScreeningResult, SurveyResponse
from experiments.flow.monitoring import EVENTS
from experiments.gamedata.models import Episode, Step
from testkit.flowhelpers import VALID_SURVEY, enter, submit
from testkit.fuzzing import TEXTS, frames, is_finite_json, mutate, random_json, specials
from testkit.gameclient import begin_episode, play_scene
from testkit.uploads import CHUNK, ROW

pytestmark = pytest.mark.django_db
COUNT = 200  # bodies per endpoint
SCREENING = {
    "width": 1280,
    "height": 800,
    "webassembly": True,
    "touch_points": 0,
    "runtime": {"loaded": True, "step_ms": [1.0, 2.0]},
}
ENDPOINTS = {  # path: (experiment, valid bodies)
    "/x/game/data/": ("game", [CHUNK]),
    "/x/game/episodes/": ("game", [{"scene_key": "play"}]),
    "/x/game/runtime-error/": ("game", [{"scene_key": "play", "stage": "load", "message": "no wasm"}]),
    "/x/flow/client-error/": ("flow", [{"kind": "error", "message": "boom"}]),
    "/x/game/milestone/": ("game", [{"scene_key": "play", "milestone": m} for m in ("ready", "start")]),
    "/x/watched/monitor/": ("watched", [{"event": event} for event in EVENTS]),
    "/x/screen/screening/ping/": ("screen", [{"nonce": None}, {"nonce": "x"}]),
    "/x/screen/screening/": ("screen", [SCREENING]),
}


@pytest.fixture(autouse=True)
def no_errors_logged(caplog):
    """Whatever a browser sends, nothing on the server fails (Django logs a 500 at ERROR)."""
    caplog.set_level(logging.WARNING)
    yield
    assert [r.getMessage()[:300] for r in caplog.records if r.levelno >= logging.ERROR] == []


def chunk_bodies(rng: random.Random, count: int):
    """Chunks with one thing wrong somewhere: at the top, in a row, or in the list of rows."""
    yield from frames(rng, [CHUNK], count // 2)
    for _ in range(count // 2):
        rows = [mutate(rng, ROW) if rng.random() < 0.7 else random_json(rng) for _ in range(rng.choice([1, 2, 601]))]
        yield json.dumps({**CHUNK, "number": rng.randint(0, 3), "first_frame": rng.choice([0, 0, 1, -1]), "rows": rows})


def post(client: Client, path: str, body) -> int:
    response = client.post(path, body, content_type="application/json")
    assert response.status_code < 500, (path, str(body)[:200])
    return response.status_code


def assert_valid_rows() -> None:
    """Every stored row holds what the endpoints promise, whatever was sent."""
    for step in Step.objects.all():
        assert isinstance(step.frame, int) and step.frame >= 0
        assert math.isfinite(step.client_time) and math.isfinite(step.late_ms) and 0 <= step.rollback_depth <= 1000
        for field in (step.actions, step.rewards, step.terminated, step.truncated, step.infos):
            assert isinstance(field, dict) and all(isinstance(k, str) for k in field) and is_finite_json(field)
        assert all(isinstance(r, int | float) and not isinstance(r, bool) for r in step.rewards.values())
        assert all(isinstance(f, bool) for f in [*step.terminated.values(), *step.truncated.values()])
        assert is_finite_json(step.observations)
    for episode in Episode.objects.all():
        frames_stored = list(episode.steps.order_by("frame").values_list("frame", flat=True))
        assert frames_stored == list(range(episode.n_steps)) and is_finite_json([episode.runtime, episode.reset_data])
    for error in ClientError.objects.all():
        assert error.kind in KINDS and isinstance(error.message, str) and len(error.message) <= 2000
    for state in MonitorState.objects.all():
        assert all(event in EVENTS and level in ("ok", "warn", "exclude") for _, event, level in state.events)
    for result in ScreeningResult.objects.all():
        assert all(isinstance(rtt, float) and 0 <= rtt < 10_000 for rtt in result.rtt_ms)
        assert is_finite_json(result.measurements) and result.passed in (None, True, False)
    for participant in Participant.objects.all():
        assert participant.status in ("active", *OUTCOMES)
        assert all(len(e["stage"]) <= 40 and len(e["message"]) <= 2000 for e in participant.runtime_errors)


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_fuzzed_json_endpoints_answer_clearly_and_store_nothing_malformed(path):
    slug, valid = ENDPOINTS[path]
    rng = random.Random(f"{path}-7")
    browser = Client()
    enter(browser, slug, PROLIFIC_PID="fuzzer")
    if slug == "game":
        begin_episode(browser, "game", "play")
    bodies = chunk_bodies(rng, COUNT) if path.endswith("/data/") else frames(rng, valid, COUNT)
    statuses = {post(browser, path, body) for body in [*specials(), *bodies]}
    assert statuses & {400, 403, 409, 413}  # refusals are answered as such
    assert_valid_rows()


def test_the_game_still_serves_a_well_behaved_participant_after_fuzzing():
    fuzzer = Client()
    enter(fuzzer, "game", PROLIFIC_PID="fuzzer")
    begin_episode(fuzzer, "game", "play")
    for body in [*specials()[:3], *chunk_bodies(random.Random(3), 60)]:
        post(fuzzer, "/x/game/data/", body)
    honest = Client()
    enter(honest, "game", PROLIFIC_PID="honest")
    play_scene(honest, "game")
    assert submit(honest, "game", "play").status_code == 302
    assert Participant.objects.get(external_id="honest").current_key == "end"
    assert_valid_rows()


def test_the_small_endpoints_still_serve_a_well_behaved_participant_after_fuzzing():
    for path in ("/x/flow/client-error/", "/x/watched/monitor/", "/x/screen/screening/ping/"):
        slug, valid = ENDPOINTS[path]
        fuzzer = Client()
        enter(fuzzer, slug, PROLIFIC_PID=f"fuzzer-{slug}")
        for body in frames(random.Random(path), valid, 60):
            post(fuzzer, path, body)
    honest = Client()
    enter(honest, "flow", PROLIFIC_PID="honest")
    assert honest.post("/x/flow/client-error/", {"kind": "error", "message": "x"}, "application/json").json() == {
        "stored": True
    }
    enter(honest, "watched", PROLIFIC_PID="honest")
    assert honest.post("/x/watched/monitor/", {"event": "input"}, "application/json").json() == {"ok": True}
    enter(honest, "screen", PROLIFIC_PID="honest")
    nonce = honest.post("/x/screen/screening/ping/", {}, "application/json").json()["nonce"]
    assert "nonce" in honest.post("/x/screen/screening/ping/", {"nonce": nonce}, "application/json").json()


def survey_browser(pid: str) -> Client:
    browser = Client()
    enter(browser, "flow", PROLIFIC_PID=pid)
    for key, data in (("welcome", {}), ("consent", {"consent": "yes"}), ("instructions", {})):
        submit(browser, "flow", key, **data)
    return browser


def form_value(rng: random.Random):
    """What a forged form can hold: nothing, several values, any text, numbers as text in every spelling."""
    texts = [text for text in TEXTS if text != "\ud800"]  # a form body is UTF-8: no lone surrogates
    one = rng.choice(
        [*texts, "\x00", "NaN", "Infinity", "-0", "1e400", "9" * 5000, "4.0", " 3 ", "red", "apple", "0x10"]
    )
    return rng.choice([[], [one], [one, one], [rng.choice(["red", "apple", "calm", "4"])] * rng.randint(1, 4)])


def test_fuzzed_survey_posts_store_only_valid_answers():
    rng = random.Random(11)
    browser, stored = survey_browser("survey-0"), 0
    for number in range(COUNT):
        data = {key: [value] if isinstance(value, str) else value for key, value in VALID_SURVEY.items()}
        for name in rng.sample(sorted(data) + ["extra", "scene_key"], rng.randint(1, 3)):
            data[name] = form_value(rng)
        data["scene_key"] = data["scene_key"] if "scene_key" in data and rng.random() < 0.1 else "survey"
        response = browser.post("/x/flow/flow/", data)
        assert response.status_code in (302, 400)
        if SurveyResponse.objects.filter(scene_key="survey").count() > stored:  # taken: on with a fresh participant
            stored = SurveyResponse.objects.filter(scene_key="survey").count()
            browser = survey_browser(f"survey-{number + 1}")
    answers = {(r.question_id, json.dumps(r.value)) for r in SurveyResponse.objects.filter(scene_key="survey")}
    for question, value in answers:
        value = json.loads(value)
        if question in ("text", "optional"):
            assert value is None or (isinstance(value, str) and "\x00" not in value and len(value) <= 2000)
        elif question == "likert":
            assert value in (1, 2, 3, 4, 5)
        elif question == "slider":
            assert isinstance(value, int | float) and 0 <= value <= 10 and float(value * 2).is_integer()
        elif question == "single":
            assert value in ("red", "green", "blue")
        elif question == "multi":
            assert set(value) <= {"apple", "pear", "plum"} and 1 <= len(value) <= 2
        else:
            assert question == "boxes" and value in ("calm", "busy")
    assert stored > 0  # some mutations are still valid answers, and they were taken


def test_text_no_database_can_store_is_refused_not_stored():
    """NUL characters and lone surrogates (PostgreSQL refuses both, SQLite the second) get a clear 400."""
    browser = survey_browser("nul")
    for text in ("\u0000", "\ud800"):
        body = json.dumps({"kind": "error", "message": f"a{text}b"})  # JSON escapes them: \\u0000, \\ud800
        assert post(browser, "/x/flow/client-error/", body) == 400
    answers = {key: [value] if isinstance(value, str) else value for key, value in VALID_SURVEY.items()}
    assert browser.post("/x/flow/flow/", {**answers, "scene_key": "survey", "text": "a\x00b"}).status_code == 400
    enter(browser, "game", PROLIFIC_PID="nul")
    report = json.dumps({"scene_key": "play", "stage": "load", "message": "a\u0000b"})
    assert post(browser, "/x/game/runtime-error/", report) == 400
    assert not ClientError.objects.exists() and not SurveyResponse.objects.filter(scene_key="survey").exists()
    assert not Participant.objects.exclude(status="active").exists()
