"""One of two Daphne workers sharing Redis is killed mid-episode: its participant's browser is sent to the other
by the balancer, and nothing is lost (every input once, identical rows equal to the server replay, one code each)."""

# The balancer is a TCP proxy per participant (testkit/netproxy.py) whose target is switched to the surviving process
# when the first one dies, as a load balancer's health check would. Participants are the headless browsers of
# tests/reliability/test_reliability.py: pages, uploads and the relay over real sockets, the browser's NetSession at
# 30 fps.

from __future__ import annotations

import pytest

from testkit.fixture_experiments import PATHS
from testkit.groupplay import Member, assert_nothing_lost, play_group, run, until
from testkit.netproxy import DelayProxy
from testkit.servers import daphne_cluster, redis_server

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_killed_with_redis_loses_no_input_no_step_and_no_code(tmp_path):
    with redis_server() as redis_url, daphne_cluster(2, redis_url, tmp_path, PATHS) as (doomed, survivor):
        balancers = [DelayProxy(doomed.port), DelayProxy(survivor.port)]
        members = [Member(balancers[0].url, "ann", 0), Member(balancers[1].url, "ben", 1)]

        async def disturb(members):
            await until(lambda: all(m.player.frame_in(0) >= 60 for m in members))
            doomed.kill()  # SIGKILL: no disconnect handler runs, its unflushed work is gone
            balancers[0].target_port = survivor.port  # the balancer's health check takes the dead worker out
            balancers[0].cut()  # and the connections through it drop, as they would with the process
            await until(lambda: members[0].player.reconnects and members[0].player.socket.socket is not None, 30)

        async def scenario():
            await play_group(members, disturb)

        try:
            run(scenario, members, tmp_path)
        finally:
            for balancer in balancers:
                balancer.stop()
    assert_nothing_lost(members)
    assert members[0].player.reconnects >= 1 and members[1].player.reconnects == 0
