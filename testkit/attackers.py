"""A participant's browser played by an attacker: forged chunks and scene submissions against a real server."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from testkit.flowhelpers import enter
from testkit.participants import Browser, runtime_of


class Reply:
    """A response with the test client's names (status_code, json(), content)."""

    def __init__(self, response) -> None:
        self.raw, self.status_code, self.text = response, response.status, response.text
        self.content = response.text.encode()

    def json(self):
        return json.loads(self.text)


class Attacker(Browser):
    """A plain HTTP client the server does not trust, with the Django test client's call shapes (for flowhelpers)."""

    def get(self, path: str, data: dict | None = None, follow: bool = True) -> Reply:
        return Reply(super().get(f"{path}?{urlencode(data)}" if data else path, follow))

    def post(self, path: str, data=None, content_type: str = "") -> Reply:
        if content_type == "application/json":
            body = data if isinstance(data, bytes) else (data if isinstance(data, str) else json.dumps(data)).encode()
            return Reply(self.request("POST", path, body, content_type))
        return Reply(self.post_form(path, data or {}, follow=False))


def forged_chunk(scene_key: str, episode: int, agents: list[str], frames: int) -> dict:
    """Rows that end the episode at its last step, for every agent: no frame was ever played."""
    rows = []
    for frame in range(frames):
        last = frame == frames - 1
        rows.append(
            {
                "frame": frame,
                "t": frame * 33.0,
                "actions": {a: 0 for a in agents},
                "rewards": {a: 1.0 for a in agents},
                "terminated": {a: False for a in agents},
                "truncated": {a: last for a in agents},
                "infos": {},
            }
        )
    return {"scene_key": scene_key, "episode": episode, "number": 0, "first_frame": 0, "final": True, "rows": rows}


def at_game(server, slug: str, pid: str) -> tuple[Attacker, dict]:
    browser = Attacker(server.url)
    enter(browser, slug, PROLIFIC_PID=pid)
    page = browser.get(f"/x/{slug}/flow/")
    return browser, runtime_of(page.raw)


def submit_scene(browser: Attacker, slug: str, scene_key: str) -> Reply:
    return browser.post(f"/x/{slug}/flow/", {"scene_key": scene_key})
