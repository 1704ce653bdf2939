"""The operator's push commands: keys are made once and kept; `push test` really sends one reminder."""

from __future__ import annotations

import asyncio

from server.reminders.tables import PushSubscription
from tests.integration.content.test_import import run_cli
from tests.integration.reminders.support import due_participants


def test_push_keys_keeps_the_key_it_made(db, vapid_key):
    first, second = run_cli("push", "keys"), run_cli("push", "keys")
    assert first.returncode == 0 and second.returncode == 0
    assert "Kept the existing" in second.stdout
    key = [line for line in first.stdout.splitlines() if line.startswith("Public key: ")]
    assert key and key == [line for line in second.stdout.splitlines() if line.startswith("Public key: ")]


def test_push_test_sends_one_reminder_to_the_newest_subscription(db, push):
    asyncio.run(due_participants(push, 1, language="en"))
    done = run_cli("push", "test")
    assert done.returncode == 0, done.stderr
    assert "answered 201" in done.stdout
    [delivery] = push.wait_for(1)
    assert delivery.json()["title"] == "Time for a breathing space?"


def test_push_test_without_subscriptions_says_so(db, vapid_key):
    assert asyncio.run(PushSubscription.count().run()) == 0
    done = run_cli("push", "test")
    assert done.returncode == 1 and "no browser has turned reminders on" in done.stderr


def test_a_key_made_while_the_app_runs_is_used_without_a_restart(db, tmp_path, monkeypatch):
    import dataclasses

    from server.reminders import vapid

    settings = dataclasses.replace(vapid.get_settings(), vapid_key_file=tmp_path / "vapid.pem")
    monkeypatch.setattr(vapid, "get_settings", lambda: settings)
    assert vapid.load_key() is None and vapid.public_key_b64() is None  # not made yet: the sender waits
    vapid.ensure_keys()
    assert vapid.public_key_b64() is not None
