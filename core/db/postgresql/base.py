"""PostgreSQL with django-prometheus's query metrics, and a health check that costs no round trip.

Django's health check (`CONN_HEALTH_CHECKS`) sends `SELECT 1` before each request's first query on a kept
connection. That round trip was a fifth of a submission's time, so the site turned it off, and a database restart
then failed, with a 503, the first request of every thread that still held a connection from before it.

A connection that the server ended is visible without asking: when PostgreSQL shuts down, restarts or ends a
backend, the backend sends a FATAL error and closes the socket, so an idle connection's socket has something to
read. Nothing arrives on an idle connection otherwise (the site uses no LISTEN, and a notice or a changed
parameter only comes with a query's answer). So the check here is a zero-timeout `poll()` of the socket: readable,
hung up or in error while idle means the connection is gone, and Django opens a new one before the request's first
query. A network partition, where nothing arrives, is not seen; the query then fails as before and Django drops
the connection.
"""

import select

from django_prometheus.db.backends.postgresql import base

_GONE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP | select.POLLNVAL


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if self.connection is None or not self.health_check_enabled or self.health_check_done:
            return
        if not self.idle_connection_is_alive():
            self.close()
        self.health_check_done = True

    def idle_connection_is_alive(self) -> bool:
        """False when the server ended this idle connection: its socket is readable, hung up or in error."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            descriptor = connection.fileno()
        except base.Database.Error:
            return False
        poller = select.poll()
        poller.register(descriptor, _GONE)
        return not poller.poll(0)
