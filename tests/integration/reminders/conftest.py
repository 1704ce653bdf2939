from __future__ import annotations

import pytest

from server.reminders.vapid import ensure_keys, load_key, public_key_b64
from tests.pushdouble import PushDouble


@pytest.fixture(scope="session", autouse=True)
def routes(app):
    """A reminder names the page it opens by its route: every process that sends binds the route table
    (the app at start, the command line, the test worker); so do these tests, which drive the sender."""
    from server.lib import paths

    paths.bind(app)


@pytest.fixture(scope="session")
def vapid_key():
    ensure_keys()
    return load_key()


@pytest.fixture
def push(vapid_key):
    with PushDouble(public_key_b64(vapid_key)) as double:
        yield double


@pytest.fixture
def other_push(vapid_key):
    """A second push service (another origin), as Mozilla's beside Google's."""
    with PushDouble(public_key_b64(vapid_key)) as double:
        yield double
