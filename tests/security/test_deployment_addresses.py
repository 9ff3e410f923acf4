"""Behind the deployment's nginx (deploy/), a client cannot choose the address the workers see: a forged
X-Forwarded-For does not give each socket a new address, so the per-address socket cap (and the admin login
throttle, which reads the same address) still holds. Plain WebSocket clients against nginx and one production
worker on loopback."""

from __future__ import annotations

import pytest
import websockets
from asgiref.sync import async_to_sync

from deploy.local import local_deployment
from testkit.fixture_experiments import PATHS
from testkit.servers import production_env

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "net-pair"


async def game_socket(url: str, number: int):
    """A game socket from a client that claims to be another address each time (and another participant)."""
    headers = {"Origin": url, "Cookie": f"mug_{SLUG}=forged-{number}", "X-Forwarded-For": f"198.51.100.{number}"}
    ws_url = url.replace("http://", "ws://") + f"/x/{SLUG}/ws/game/"
    return await websockets.connect(ws_url, additional_headers=headers, open_timeout=30)


def test_a_forged_forwarded_address_does_not_lift_the_per_address_socket_cap(tmp_path):
    env = production_env(PATHS, MUG_WS_PER_ADDRESS="2")
    with local_deployment(1, env, tmp_path / "deploy") as deployment:

        async def scenario():
            opened = [await game_socket(deployment.url, n) for n in range(2)]
            try:
                with pytest.raises(websockets.InvalidStatus) as third:
                    await game_socket(deployment.url, 2)
                return third.value.response.status_code
            finally:
                for socket in opened:
                    await socket.close()

        status = async_to_sync(scenario)()
        log = (deployment.run_dir / "daphne-w1.log").read_text()
    assert status == 403  # the third socket from this machine is refused, whatever address it claimed
    assert "198.51.100." not in log  # the worker never saw a forged address
