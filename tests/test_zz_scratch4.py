import asyncio, json, random, collections
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from mugsite.asgi import application
from tests.roomclient import participant_cookie, RoomClient
from tests.fuzzing import frames, nested
from servergame.consumers import ServerGameConsumer
from servergame.host import HOSTS
from experiments.gameplay_models import Step
from tests.test_zz_scratch3 import explore, ok

pytestmark = pytest.mark.django_db(transaction=True)

class PlayClient(RoomClient):
    def __init__(self, slug, cookie):
        super().__init__(slug, cookie)
        self.socket = WebsocketCommunicator(application, f"/x/{slug}/ws/play/", headers=self.socket.scope["headers"])

@pytest.mark.parametrize("seed", [3])
def test_server_explore(monkeypatch, seed, caplog):
    monkeypatch.setattr(ServerGameConsumer, "messages_per_s", 100000)
    c = participant_cookie("server-long", "s")
    rng = random.Random(seed)
    valid = [{"type": "input", "frame": 3, "held": ["ArrowUp"], "presses": [], "id": 4}, {"type": "presence", "hidden": False},
             {"type": "ping", "id": 1}, {"type": "repaint"}, {"type": "probe", "id": 1, "stats": {"fps": 30}},
             {"type": "hello", "scene_key": "play"}]
    async def hello(client):
        await client.send({"type": "hello", "scene_key": "play"})
    async def go():
        r = await explore(lambda: PlayClient("server-long", c), [p for p in frames(rng, valid, 400) if ok(p)], hello)
        async with PlayClient("server-long", c) as b:
            await b.send({"type": "hello", "scene_key": "play"})
            kinds = collections.Counter()
            deadline = asyncio.get_running_loop().time() + 15
            while (m := await b.next_message(deadline)) is not None:
                kinds[m["type"]] += 1
                if m["type"] in ("finished", "end"): print(m); break
            print(kinds)
        for h in list(HOSTS.values()):
            h.stop()
            if h.task: await asyncio.wait_for(h.task, 10)
        return r
    crashes, ex = async_to_sync(go)()
    print(crashes); print(ex)
    print(Step.objects.count(), set(tuple(s.actions.values()) for s in Step.objects.all()))
    print([r.getMessage()[:200] for r in caplog.records if r.levelname in ("ERROR", "WARNING")][:10])
