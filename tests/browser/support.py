"""Helpers for the browser tests."""

import threading


def in_thread(query):
    """Run an ORM call from a browser test in a thread of its own, and close that thread's connection.

    While Playwright's sync API is active, the test thread is inside an event loop: Django refuses ORM calls there,
    and a connection opened anyway lives in Playwright's context, where nothing closes it, so PostgreSQL would
    refuse to drop the test database at the end.
    """
    from django.db import connections

    outcome: dict = {}

    def run():
        try:
            outcome["value"] = query()
        except BaseException as error:  # handed back to the test below
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
