"""With REDIS_URL, the channel layer is channels-redis and carries group messages through a real Redis."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer

from tests.servers import redis_server

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_url():
    with redis_server() as url:
        yield url


async def test_group_message_crosses_a_real_redis(settings, redis_url):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [redis_url]}}
    }
    sender, receiver = get_channel_layer(), get_channel_layer()
    assert type(sender).__name__ == "RedisChannelLayer"
    channel = await receiver.new_channel()
    await receiver.group_add("mug-test", channel)
    await sender.group_send("mug-test", {"type": "match.found", "game": 7})
    assert await receiver.receive(channel) == {"type": "match.found", "game": 7}
    await receiver.group_discard("mug-test", channel)
    await sender.flush()
