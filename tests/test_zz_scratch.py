import json
import pytest
from django.test import Client
from tests.flowhelpers import enter, submit, page, scene_key
from tests.gameclient import begin_episode, post_chunk
from experiments.models import Participant

pytestmark = pytest.mark.django_db

def test_a_end_post():
    c = Client()
    enter(c, "fixed-codes")
    r = submit(c, "fixed-codes", "consent", consent="yes")
    print("consent", r.status_code)
    r = submit(c, "fixed-codes", "end")
    print("end post", r.status_code)
    p = Participant.objects.get()
    print(p.status, p.position, p.plan)
    r = page(c, "fixed-codes")
    print("get", r.status_code)

def test_b_empty_final():
    c = Client()
    enter(c, "game")
    for e in range(2):
        b = begin_episode(c, "game", "play")
        print(b)
        r = post_chunk(c, "game", {"scene_key": "play", "episode": b["episode"], "number": 0, "first_frame": 0, "final": True, "rows": []})
        print(r.status_code, r.content)
    r = submit(c, "game", "play")
    print("submit", r.status_code)
    r = page(c, "game")
    print(r.status_code, r.content.decode()[-800:])

@pytest.mark.parametrize("url", ["monitor", "client-error", "screening/ping", "episodes", "runtime-error", "data"])
def test_c_deep(url):
    c = Client(raise_request_exception=False)
    enter(c, "game")
    body = "[" * 1500 + "]" * 1500
    r = c.post(f"/x/game/{url}/", body, content_type="application/json")
    print(url, r.status_code, r.content[:200])

def test_d_inf():
    c = Client(raise_request_exception=False)
    enter(c, "game")
    b = begin_episode(c, "game", "play")
    row = {"frame": 0, "t": 1.0, "actions": {"chaser": 1}, "rewards": {"chaser": 0}, "terminated": {"chaser": False}, "truncated": {"chaser": False}, "infos": {"chaser": {"x": 1}}}
    body = json.dumps({"scene_key": "play", "episode": 0, "number": 0, "first_frame": 0, "final": False, "rows": [row]}).replace('"x": 1', '"x": 1e400')
    r = c.post("/x/game/data/", body, content_type="application/json")
    print("inf", r.status_code, r.content[:200])
    body = json.dumps({"scene_key": "play", "episode": 0, "number": 0, "first_frame": 0, "final": False, "rows": [row]}).replace('"x": 1', '"x": 1' + "0" * 5000)
    r = c.post("/x/game/data/", body, content_type="application/json")
    print("bigint", r.status_code, r.content[:200])
