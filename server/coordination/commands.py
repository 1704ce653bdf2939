"""``pusterum invites``: a patient invite link made from the command line, printed as the workspace prints it.

Here rather than in participants: the printed link is coordination's (``invite_link``: this installation's
address and the door for the kind of code), and participants sits below coordination.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import click

from server.lib.commands import Failure, Group, bind_routes


async def _create_invite(site_slug: str, group_slug: str | None, label: str, days: int | None,
                         max_uses: int | None) -> str:
    from server.participants import services
    from server.participants.tables import CourseGroup, Site

    site = await Site.select(Site.id).where(Site.slug == site_slug).first()
    if site is None:
        raise LookupError(f"no site named {site_slug!r}")
    group_id = None
    if group_slug:
        group = await CourseGroup.select(CourseGroup.id, CourseGroup.site).where(
            CourseGroup.slug == group_slug).first()
        if group is None or group["site"] != site["id"]:
            raise LookupError(f"no course group named {group_slug!r} at {site_slug!r}")
        group_id = group["id"]
    from server.coordination.services import seal

    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    code = services.new_code()
    # Kept sealed, like the workspace's codes, so the site's coordinators can print its sheet.
    return await services.create_invite(kind="patient", site_id=site["id"], course_group_id=group_id,
                                        label=label, expires_at=expires, max_uses=max_uses, code=code,
                                        sealed=seal(code))


@click.group(cls=Group, short_help="invite codes")
def invites() -> None:
    """Invite codes (coordinators make them in the workspace; this is for the first ones)."""


@invites.command(short_help="create a patient invite link")
@click.option("--site", "site_slug", required=True, metavar="SLUG", help="site slug")
@click.option("--group", "group_slug", metavar="SLUG", help="course group slug")
@click.option("--label", default="", help="a note for coordinators (no personal data)")
@click.option("--days", type=int, metavar="N", help="valid for this many days")
@click.option("--max-uses", type=int, metavar="N", help="how many people may use it")
def create(site_slug: str, group_slug: str | None, label: str, days: int | None, max_uses: int | None) -> None:
    """Print a new patient invite link for a site (and one of its course groups). The code has 128 bits;
    it is found by its hash and kept encrypted, so the site's coordinators can print its sheet."""
    try:
        code = asyncio.run(_create_invite(site_slug, group_slug, label, days, max_uses))
    except LookupError as exc:
        raise Failure(str(exc)) from exc
    from server.coordination.services import invite_link

    bind_routes()  # the link is built from the app's route table, like every other link
    click.echo(invite_link("patient", code))
