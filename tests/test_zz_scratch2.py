import asyncio, json, random
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from mugsite.asgi import application
from tests.roomclient import participant_cookie, RoomClient
from tests.gameclient_ws import GameClient, matched
from tests.fuzzing import frames, nested
from netcode.consumers import GameConsumer

pytestmark = pytest.mark.django_db(transaction=True)

async def pump(sock, payloads):
    replies = []
    for p in payloads:
        if isinstance(p, bytes):
            await sock.send_to(bytes_data=p)
        else:
            await sock.send_to(text_data=p)
        while not await sock.receive_nothing(timeout=0.005, interval=0.001):
            replies.append(await sock.receive_output())
        if sock.future.done():
            return replies, sock.future.exception()
    return replies, None

def test_room_deep():
    c = participant_cookie("duo", "a", walk=("hello",))
    async def s():
        async with RoomClient("duo", c) as r:
            return await pump(r.socket, [nested(3000)])
    print(async_to_sync(s)())

def test_room_fuzz():
    c = participant_cookie("duo", "a", walk=("hello",))
    rng = random.Random(1)
    valid = [{"type": "join", "scene_key": "pair"}, {"type": "pong", "id": 1}, {"type": "ack", "match": 1}]
    async def s():
        async with RoomClient("duo", c) as r:
            return await pump(r.socket, list(frames(rng, valid, 300)))
    replies, exc = async_to_sync(s)()
    print(len(replies), exc, {json.loads(x["text"]).get("message", "")[:50] for x in replies if "text" in x})

def test_game_fuzz(monkeypatch):
    monkeypatch.setattr(GameConsumer, "messages_per_s", 100000)
    cs = [participant_cookie("net-relay", p) for p in ("a", "b")]
    async_to_sync(matched)("net-relay", cs, "pair")
    rng = random.Random(2)
    valid = [{"type": "input", "episode": 0, "frame": 3, "inputs": [[2, 1]], "checksums": [[2, "ab"]]},
             {"type": "done", "episode": 0, "frames": 5, "checksum": "ab"}, {"type": "presence", "hidden": False},
             {"type": "ping", "id": 1}, {"type": "sync", "episode": 0, "after": 1}, {"type": "probe", "id": 1, "stats": {"fps": 30}},
             {"type": "hello", "scene_key": "pair"}]
    async def s():
        async with GameClient("net-relay", cs[0]) as a:
            await a.hello()
            return await pump(a.socket, list(frames(rng, valid, 400)))
    replies, exc = async_to_sync(s)()
    print(len(replies), repr(exc), {json.loads(x["text"]).get("message", "")[:50] for x in replies if "text" in x})

def test_game_deep_and_bigframe():
    cs = [participant_cookie("net-relay", p) for p in ("a", "b")]
    async_to_sync(matched)("net-relay", cs, "pair")
    async def s():
        out = []
        for payload in ['{"type":"input","episode":0,"frame":%s,"inputs":[[2,1]]}' % ("1" + "0"*30), nested(3000),
                        '{"type":"input","episode":0,"frame":%s,"inputs":[[3,1]]}' % nested(900)]:
            async with GameClient("net-relay", cs[0]) as a:
                await a.hello()
                out.append(await pump(a.socket, [payload]))
        return out
    for r in async_to_sync(s)():
        print(r[1].__repr__()[:300], [x.get("text", "")[:100] for x in r[0]][:3])
