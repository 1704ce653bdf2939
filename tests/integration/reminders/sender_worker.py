"""One sender process for the concurrency test: sends until nothing is due, prints how many it claimed.

Run as ``python -m tests.integration.reminders.sender_worker``, with the test's environment (database,
var dir with the VAPID key), so it is a separate process exactly as a second app worker would be.
"""

from __future__ import annotations

import asyncio

from server.app import create_app
from server.lib import paths
from server.reminders.endpoints import push_session
from server.reminders.sender import Sender
from server.reminders.vapid import Signer, load_key
from server.settings import get_settings


async def main() -> None:
    paths.bind(create_app())  # as in the app: a reminder names the page it opens by its route
    claimed, idle = 0, 0
    async with push_session() as session:
        sender = Sender(session, Signer(load_key(), get_settings().push_contact))
        while idle < 5:
            n = await sender.run_once(limit=25)  # small claims, so the two processes interleave
            claimed += n
            idle = 0 if n else idle + 1
            if not n:
                await asyncio.sleep(0.05)
    print(claimed)


if __name__ == "__main__":
    asyncio.run(main())
