"""One redis-py client per connection pool, instead of a new one for every command.

Django's Redis cache backend and kombu's Redis transport both build a `redis.Redis(connection_pool=pool)` for each
operation: a cache get, a task published, a message acknowledged. A client object holds no connection of its own
(the pool hands one out per command and is safe across threads and forks), but building one sets up its table of
response callbacks, which with redis-py 8 costs about as much CPU as the command's round trip (~0.1-0.2 ms). A
screening makes about ten such operations between the web process and the worker. Here each pool keeps the one
client made for it; a pool that is replaced (kombu drops its pools when the broker connection is lost) gets a new
client with it.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCacheClient
from django_prometheus.cache.backends.redis import NativeRedisCache
from kombu.transport import redis as kombu_redis


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(NativeRedisCache):
    """Django's Redis cache with django-prometheus's hit and miss counters, one client per pool."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient


class BrokerChannel(kombu_redis.Channel):
    _reused_client = None

    def _create_client(self, asynchronous=False):
        if asynchronous:  # the consumer's own connection: kombu makes that client once already
            return super()._create_client(asynchronous=True)
        client = self._reused_client
        if client is None or client.connection_pool is not self.pool:
            client = self._reused_client = super()._create_client()
        return client


class BrokerTransport(kombu_redis.Transport):
    """kombu's Redis transport (CELERY_BROKER_TRANSPORT), one client per pool for publishing and acknowledging."""

    Channel = BrokerChannel
