"""Helpers for the tests of mucd's features: its database, and running
an asyncio scenario of slixmpp clients to its end."""

import asyncio
import contextlib
import io
import os
import sqlite3


def muc_db(s):
    """mucd's database of server s, opened beside the running mucd."""
    return sqlite3.connect(os.path.join(s.datadir, "muc", "muc.db"))


def room_id(s, service, name):
    d = muc_db(s)
    rid = d.execute("SELECT id FROM rooms WHERE service = ? AND name = ?",
                    (service, name)).fetchone()[0]
    d.close()
    return rid


def run_scenario(coro, timeout=60):
    """Run coro in a loop of its own; what the client library prints
    and the tasks it leaves behind go with the loop."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            loop.run_until_complete(asyncio.wait_for(coro, timeout))
    finally:
        left = asyncio.all_tasks(loop)
        for t in left:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*left,
                                               return_exceptions=True))
        loop.close()
