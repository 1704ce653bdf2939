"""``pusterum push``: the VAPID key that signs every reminder, and one reminder sent by hand to try it."""

from __future__ import annotations

import asyncio

import click

from server.lib.commands import Failure, Group, bind_routes
from server.settings import get_settings


async def _push_test(endpoint_hint: str | None) -> tuple[int, str]:
    from server.reminders.endpoints import push_session
    from server.reminders.sender import Sender, Subscription, payload
    from server.reminders.tables import PushSubscription
    from server.reminders.vapid import Signer, load_key

    vapid = load_key()
    if vapid is None:
        return 1, "there is no VAPID key yet: run `pusterum push keys` first"
    query = PushSubscription.select(PushSubscription.id, PushSubscription.participant, PushSubscription.endpoint,
                                    PushSubscription.p256dh, PushSubscription.auth,
                                    PushSubscription.participant.kind, PushSubscription.participant.language)
    if endpoint_hint:
        query = query.where(PushSubscription.endpoint.like(f"%{endpoint_hint}%"))
    row = await query.order_by(PushSubscription.created_at, ascending=False).first()
    if row is None:
        return 1, "no browser has turned reminders on yet (or none matches --endpoint)"
    kind, language = row.pop("participant.kind"), row.pop("participant.language")
    host = row["endpoint"].split("/")[2]
    async with push_session() as session:
        try:
            status, _retry_after = await Sender(session, Signer(vapid, get_settings().push_contact)).send(
                Subscription(**row), payload(kind, language))
        except Exception as exc:  # the operator wants the reason, not a traceback
            return 1, f"push service {host} could not be reached or the subscription cannot be used ({exc!r})"
    return (0 if status < 300 else 1), f"push service {host} answered {status}"


@click.group(cls=Group, short_help="web push reminders")
def push() -> None:
    """Web push reminders."""


@push.command(short_help="make the VAPID key once (kept if it exists); print the public key")
def keys() -> None:
    """Make the VAPID key once and print its public key. An existing key is never replaced: that would end
    every reminder subscription."""
    from server.reminders.vapid import ensure_keys, load_key, public_key_b64

    path, made = ensure_keys()
    click.echo(f"{'Made a new' if made else 'Kept the existing'} VAPID key in {path} (keep it out of git and "
               "backed up: replacing it ends every reminder subscription).")
    click.echo(f"Public key: {public_key_b64(load_key())}")


@push.command(short_help="send one reminder to the newest subscription")
@click.option("--endpoint", metavar="TEXT", help="only a subscription whose endpoint contains this text")
def test(endpoint: str | None) -> None:
    """Send one reminder to the newest subscription and print the push service's answer."""
    bind_routes()  # the reminder names the page it opens by its route
    status, message = asyncio.run(_push_test(endpoint))
    if status:
        raise Failure(message)
    click.echo(f"Sent one reminder: {message}.")
