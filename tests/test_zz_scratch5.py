import asyncio, json, random, collections
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from mugsite.asgi import application
from tests.roomclient import participant_cookie, RoomClient
from tests.gameclient_ws import GameClient, matched
from tests.fuzzing import frames, nested
from servergame.host import HOSTS
from tests.test_zz_scratch3 import explore, ok
from tests.test_zz_scratch4 import PlayClient

pytestmark = pytest.mark.django_db(transaction=True)

def test_server_deep():
    c = participant_cookie("server-long", "s")
    async def hello(client):
        await client.send({"type": "hello", "scene_key": "play"})
    async def go():
        out = []
        for payload in ['{"type":"input","frame":%s,"held":[]}' % nested(900), '{"type":"ping","id":%s}' % nested(990)]:
            out.append(await explore(lambda: PlayClient("server-long", c), [payload], hello))
        for h in list(HOSTS.values()):
            h.stop()
            if h.task: await asyncio.wait_for(h.task, 10)
        return out
    print(async_to_sync(go)())

def test_game_deep():
    cs = [participant_cookie("net-relay", p) for p in ("a", "b")]
    async_to_sync(matched)("net-relay", cs, "pair")
    async def hello(client):
        await client.hello()
    payloads = ['{"type":"input","episode":0,"frame":%s,"inputs":[[2,1]]}' % nested(900), '{"type":"ping","id":%s}' % nested(990),
                '{"type":"input","episode":0,"frame":%d,"inputs":[[3,1]]}' % 10**20]
    print(async_to_sync(explore)(lambda: GameClient("net-relay", cs[0]), payloads, hello))

def test_live(researcher_client):
    cookie = f"sessionid={researcher_client.cookies['sessionid'].value}"
    async def go():
        s = WebsocketCommunicator(application, "/admin/live/ws/", headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", cookie.encode())])
        print(await s.connect())
        await s.receive_json_from(timeout=5)
        await s.send_input({"type": "websocket.receive", "text": "not json"})
        await asyncio.sleep(0.2)
        print(s.future.done(), s.future.done() and s.future.exception())
    async_to_sync(go)()
