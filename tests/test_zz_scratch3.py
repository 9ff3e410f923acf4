import asyncio, json, random, collections
import pytest
from asgiref.sync import async_to_sync
from tests.roomclient import participant_cookie, RoomClient
from tests.gameclient_ws import GameClient, matched
from tests.fuzzing import frames, nested
from netcode.consumers import GameConsumer

pytestmark = pytest.mark.django_db(transaction=True)

async def explore(make, payloads, hello=None):
    crashes = collections.Counter()
    examples = {}
    client = None
    for p in payloads:
        if client is None:
            client = make(); await client.__aenter__()
            if hello: await hello(client)
        sock = client.socket
        await sock.send_input({"type": "websocket.receive", ("bytes" if isinstance(p, bytes) else "text"): p})
        try:
            while not await sock.receive_nothing(timeout=0.005, interval=0.001):
                await sock.receive_output()
            if sock.future.done():
                sock.future.result()
        except BaseException as e:
            key = f"{type(e).__name__}: {str(e)[:80]}"
            crashes[key] += 1
            examples.setdefault(key, p[:200])
            client = None
    return crashes, examples

def test_room_explore():
    c = participant_cookie("duo", "a", walk=("hello",))
    rng = random.Random(1)
    valid = [{"type": "join", "scene_key": "pair"}, {"type": "pong", "id": 1}, {"type": "ack", "match": 1}]
    crashes, ex = async_to_sync(explore)(lambda: RoomClient("duo", c), list(frames(rng, valid, 400)))
    print(crashes); print(ex)

def test_game_explore(monkeypatch):
    monkeypatch.setattr(GameConsumer, "messages_per_s", 100000)
    cs = [participant_cookie("net-relay", p) for p in ("a", "b")]
    async_to_sync(matched)("net-relay", cs, "pair")
    rng = random.Random(2)
    valid = [{"type": "input", "episode": 0, "frame": 3, "inputs": [[2, 1]], "checksums": [[2, "ab"]]},
             {"type": "done", "episode": 0, "frames": 5, "checksum": "ab"}, {"type": "presence", "hidden": False},
             {"type": "ping", "id": 1}, {"type": "sync", "episode": 0, "after": 1}, {"type": "probe", "id": 1, "stats": {"fps": 30}},
             {"type": "hello", "scene_key": "pair"}]
    async def hello(client):
        await client.hello()
    crashes, ex = async_to_sync(explore)(lambda: GameClient("net-relay", cs[0]), list(frames(rng, valid, 600)), hello)
    print(crashes); print(ex)

def ok(p):
    if isinstance(p, bytes): return True
    try:
        v = json.loads(p)
    except Exception:
        return True
    return not (isinstance(v, dict) and isinstance(v.get("type"), (list, dict)))

@pytest.mark.parametrize("seed", [3, 4, 5])
def test_room_explore2(seed):
    c = participant_cookie("duo", "a", walk=("hello",))
    rng = random.Random(seed)
    valid = [{"type": "join", "scene_key": "pair"}, {"type": "pong", "id": 1}, {"type": "ack", "match": 1}]
    async def hello(client):
        await client.join()
    crashes, ex = async_to_sync(explore)(lambda: RoomClient("duo", c), [p for p in frames(rng, valid, 400) if ok(p)], hello)
    print(crashes); print(ex)

@pytest.mark.parametrize("seed", [3, 4])
def test_game_explore2(monkeypatch, seed):
    monkeypatch.setattr(GameConsumer, "messages_per_s", 100000)
    cs = [participant_cookie("net-relay", p) for p in ("a", "b")]
    async_to_sync(matched)("net-relay", cs, "pair")
    rng = random.Random(seed)
    valid = [{"type": "input", "episode": 0, "frame": 3, "inputs": [[2, 1]], "checksums": [[2, "ab"]]},
             {"type": "done", "episode": 0, "frames": 5, "checksum": "ab"}, {"type": "presence", "hidden": False},
             {"type": "ping", "id": 1}, {"type": "sync", "episode": 0, "after": 1}, {"type": "probe", "id": 1, "stats": {"fps": 30}},
             {"type": "hello", "scene_key": "pair"}]
    async def hello(client):
        await client.hello()
    crashes, ex = async_to_sync(explore)(lambda: GameClient("net-relay", cs[0]), [p for p in frames(rng, valid, 600) if ok(p)], hello)
    print(crashes); print(ex)
