"""With REDIS_URL, the channel layer is channels-redis and carries group messages through a real Redis."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer

from testkit.servers import redis_server

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url():
    with redis_server() as url:
        yield url


def redis_layer(settings, redis_url: str) -> None:
    """The layer as mugsite/settings.py configures it for REDIS_URL."""
    host = {"address": redis_url, "socket_timeout": None}
    layer = {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [host]}}
    settings.CHANNEL_LAYERS = {"default": layer}


async def test_group_message_crosses_a_real_redis(settings, redis_url):
    redis_layer(settings, redis_url)
    sender, receiver = get_channel_layer(), get_channel_layer()
    assert type(sender).__name__ == "RedisChannelLayer"
    channel = await receiver.new_channel()
    await receiver.group_add("mug-test", channel)
    await sender.group_send("mug-test", {"type": "match.found", "game": 7})
    assert await receiver.receive(channel) == {"type": "match.found", "game": 7}
    await receiver.group_discard("mug-test", channel)
    await sender.flush()


async def test_waiting_longer_than_redis_blocking_receive_is_not_an_error(settings, redis_url):
    """channels_redis blocks 5 s per BZPOPMIN; redis-py 8's default 5 s read timeout used to kill the consumer."""
    import asyncio

    redis_layer(settings, redis_url)
    receiver = get_channel_layer()
    channel = await receiver.new_channel()
    with pytest.raises(asyncio.TimeoutError):  # ours, after 11 s of quiet: not redis.exceptions.TimeoutError
        await asyncio.wait_for(receiver.receive(channel), 11)
    await receiver.flush()
