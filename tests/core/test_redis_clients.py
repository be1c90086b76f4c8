"""One redis-py client per connection pool (core.redis_clients), for the cache and for the Celery broker."""

import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from kombu import Connection

from core.redis_clients import BrokerTransport

pytestmark = pytest.mark.redis


def test_cache_operations_share_one_client_and_still_store_and_read():
    first = cache._cache.get_client()
    cache.set("reuse-check", {"n": 1}, 30)

    assert cache.get("reuse-check") == {"n": 1}
    assert cache._cache.get_client() is first
    assert cache._cache.get_client(write=True) is first  # one server: reads and writes share its pool


def test_a_replaced_cache_pool_gets_a_client_of_its_own():
    first = cache._cache.get_client()
    cache._cache._pools.clear()  # what a new pool looks like to the client table

    second = cache._cache.get_client()

    assert second is not first
    assert second.connection_pool is not first.connection_pool
    cache.set("after-new-pool", 2, 30)
    assert cache.get("after-new-pool") == 2


def test_the_broker_channel_publishes_and_acknowledges_through_one_client():
    queue = f"reuse-check-{uuid.uuid4().hex}"
    with Connection(settings.REDIS_URL, transport=BrokerTransport) as connection:
        channel = connection.default_channel
        client = channel._create_client()
        assert channel._create_client() is client
        assert channel.client is not client  # the consumer's asynchronous connection stays its own

        producer = connection.Producer(channel)
        simple = connection.SimpleQueue(queue)
        producer.publish({"n": 1}, routing_key=queue, serializer="json")
        message = simple.get(timeout=5)
        message.ack()
        assert message.payload == {"n": 1}
        assert channel._create_client() is client
        simple.close()

        channel._disconnect_pools()  # a lost broker connection: kombu drops its pools
        assert channel._create_client() is not client
