from __future__ import annotations

import pytest

from server.reminders.vapid import ensure_keys, load_key, public_key_b64
from tests.pushdouble import PushDouble


@pytest.fixture(scope="session")
def vapid_key():
    ensure_keys()
    return load_key()


@pytest.fixture
def push(vapid_key):
    with PushDouble(public_key_b64(vapid_key)) as double:
        yield double
