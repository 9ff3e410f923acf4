"""Helpers that drive the participant flow the way a browser does (GET the page, POST the form)."""

from __future__ import annotations

import re

from experiments.flow.models import Participant
from testkit.gameclient import play_scene

GAME_KEYS = {"game", "game-cartpole", "game-tag", "play", "cartpole", "tag"}

SCENE_RE = re.compile(r'data-scene="([^"]+)"')

VALID_SURVEY = {
    "text": "hello",
    "likert": "4",
    "slider": "7.5",
    "single": "green",
    "multi": ["apple", "plum"],
    "boxes": "calm",
    "optional": "",
}


START_MARK = b"data-entry-start"  # the landing page's Start form


def enter(client, slug: str, **query):
    """Open the study link and press Start on its landing page, as a participant does; the last response (the
    start's redirect to the flow, or the GET's page when it shows no Start: an error, a preview, a resume)."""
    landing = client.get(f"/x/{slug}/", query)
    if landing.status_code != 200 or START_MARK not in landing.content:
        return landing
    cookie = client.cookies.get("csrftoken", "")  # the form's own token (a Morsel in Django's client, else text)
    token = getattr(cookie, "value", cookie)
    return client.post(f"/x/{slug}/", {**query, "csrfmiddlewaretoken": token})


def start_in_page(page, url: str) -> None:
    """Open a study link in a real browser (Playwright) and press Start on its landing page, as a participant does."""
    page.goto(url)
    if page.locator("[data-entry-start]").count():
        with page.expect_navigation():
            page.click("#start")


def page(client, slug: str):
    return client.get(f"/x/{slug}/flow/")


def scene_key(client, slug: str) -> str | None:
    """The scene key the flow page shows now, or None on a page without a scene (end, message)."""
    match = SCENE_RE.search(page(client, slug).content.decode())
    return match.group(1) if match else None


def submit(client, slug: str, key: str, **data):
    return client.post(f"/x/{slug}/flow/", {"scene_key": key, **data})


def answer_for(key: str) -> dict:
    """A valid submission for each scene of the `flow` test experiment."""
    if key == "consent":
        return {"consent": "yes", "decision": "agree"}
    if key == "survey":
        return VALID_SURVEY
    if key.startswith("check"):
        return {"alert": "3"}
    return {}


def walk_to_end(client, slug: str, survey: dict | None = None, limit: int = 30) -> list[str]:
    """Submit every scene with valid answers until the flow shows no scene; returns the keys visited."""
    seen = []
    for _ in range(limit):
        key = scene_key(client, slug)
        if key is None:
            return seen
        seen.append(key)
        if key in GAME_KEYS:
            play_scene(client, slug)
        data = survey if (key == "survey" and survey) else answer_for(key)
        response = submit(client, slug, key, **data)
        assert response.status_code == 302, (key, response.content[:500])
    raise AssertionError(f"flow did not end within {limit} scenes: {seen}")


def only_participant(slug: str = "flow") -> Participant:
    return Participant.objects.get(experiment__slug=slug)


def logged_page(context, url: str):
    """A new page of `context` started at `url`, keeping its console and uncaught errors in `page.mug_log` (for the
    failure messages of browser tests)."""
    page = context.new_page()
    page.mug_log = []
    page.on("console", lambda message: page.mug_log.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: page.mug_log.append(f"uncaught: {error}"))
    start_in_page(page, url)
    return page
