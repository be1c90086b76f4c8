"""Waiting for a screening's result without polling in a loop.

The scoring side publishes the ids of screenings it finished on one Redis channel once their transaction has
committed (`notify_finished`). In a web process, one listener thread subscribes to that channel and wakes the
requests waiting for those ids (`waiter`). A request may wait only while a slot is free: at most
SCREENING_WAIT_MAX_WAITERS per process, so waiting requests can never take every thread of a gunicorn worker;
without a free slot, or without Redis, the caller answers at once, as it would without being asked to wait.

A notification is a hint, never the truth: the waiter reads the row again after being woken, and a lost
message only means a request answers at the end of its wait, with the row as it is then, like a poll.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

CHANNEL = "mhc:screenings:finished"


class _Process:
    """This process's Redis client, listener thread, waiters and slots; made again after a fork."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.events: dict[str, set[threading.Event]] = {}
        self.slots = threading.BoundedSemaphore(max(0, settings.SCREENING_WAIT_MAX_WAITERS) or 1)
        self.no_slots = settings.SCREENING_WAIT_MAX_WAITERS <= 0
        self.scoring = threading.BoundedSemaphore(max(1, settings.SCREENING_SCORE_IN_REQUEST_MAX))
        self.subscribed = threading.Event()
        self.listener: threading.Thread | None = None
        self.client = (
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=2)
            if settings.REDIS_URL
            else None
        )

    def wake(self, screening_ids: Iterable[str]) -> None:
        with self.lock:
            for screening_id in screening_ids:
                for event in self.events.get(screening_id, ()):
                    event.set()

    def listening(self) -> bool:
        """Start the listener on first use; True once it is subscribed (waits a moment for that, once)."""
        if self.client is None:
            return False
        with self.lock:
            if self.listener is None or not self.listener.is_alive():
                self.listener = threading.Thread(target=self._listen, name="screening-results", daemon=True)
                self.listener.start()
        return self.subscribed.wait(timeout=0.5)

    def _listen(self) -> None:
        pubsub_client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=None)
        while True:
            try:
                with pubsub_client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    pubsub.subscribe(CHANNEL)
                    self.subscribed.set()
                    while True:
                        message = pubsub.get_message(timeout=30)
                        if message and message["type"] == "message":
                            self.wake(message["data"].decode().split(","))
            except redis.RedisError as error:
                self.subscribed.clear()
                logger.warning("result notifications interrupted", extra={"error_type": type(error).__name__})
                time.sleep(1)


_state: _Process | None = None
_state_lock = threading.Lock()


def _process() -> _Process:
    global _state
    if _state is None or _state.pid != os.getpid():
        with _state_lock:
            if _state is None or _state.pid != os.getpid():
                _state = _Process()
    return _state


def notify_finished(screening_ids: Iterable[object]) -> None:
    """Tell every waiting request that these screenings are done or failed. Call after the commit."""
    ids = [str(screening_id) for screening_id in screening_ids]
    if not ids:
        return
    state = _process()
    state.wake(ids)  # a waiter in this very process (tasks run in-process without a broker)
    if state.client is not None:
        try:
            state.client.publish(CHANNEL, ",".join(ids))
        except redis.RedisError as error:
            # Waiting requests answer at the end of their wait instead; nothing is lost but a few seconds.
            logger.warning("could not publish results", extra={"error_type": type(error).__name__})


class Waiter:
    def __init__(self, event: threading.Event) -> None:
        self._event = event

    def wait(self, seconds: float) -> bool:
        """True when notified within `seconds`; then read the screening again."""
        return self._event.wait(timeout=seconds)


@contextlib.contextmanager
def _held(semaphore: threading.BoundedSemaphore, none: bool) -> Iterator[bool]:
    if none or not semaphore.acquire(blocking=False):
        yield False
        return
    try:
        yield True
    finally:
        semaphore.release()


def scoring_slot() -> contextlib.AbstractContextManager[bool]:
    """True while the block runs if this request may score its own screening (at most
    SCREENING_SCORE_IN_REQUEST_MAX at once in this process), False when it should go to the queue."""
    return _held(_process().scoring, settings.SCREENING_SCORE_IN_REQUEST_MAX <= 0)


@contextlib.contextmanager
def waiter(screening_id: object) -> Iterator[Waiter | None]:
    """A Waiter for this screening, or None when no slot is free or notifications are unavailable.

    Register before reading the row: a result stored between the read and the wait then still wakes it.
    """
    state = _process()
    with _held(state.slots, state.no_slots) as free:
        if not free or (not state.listening() and state.client is not None):
            yield None
            return
        key, event = str(screening_id), threading.Event()
        with state.lock:
            state.events.setdefault(key, set()).add(event)
        try:
            yield Waiter(event)
        finally:
            with state.lock:
                waiting = state.events.get(key)
                if waiting is not None:
                    waiting.discard(event)
                    if not waiting:
                        del state.events[key]
