"""``pusterum``: the operator's commands (also ``python -m server``).

Each command prints what it did in a sentence and exits non-zero with a plain message when it could not.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from server.settings import SettingsError, get_settings


def _fail(message: str) -> int:
    print(f"pusterum: {message}", file=sys.stderr)
    return 1


# --- database ---

async def migrate() -> None:
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from server.db import engine
    from server.db.connections import prepare

    await prepare(engine())
    result = await run_forwards(app_name="server")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


def cmd_db_migrate(_args: argparse.Namespace) -> int:
    asyncio.run(migrate())
    print("Database is up to date.")
    return 0


# --- content ---

def _load(path: str | None):
    from server.content.loader import load_content_dir

    root = Path(path) if path else get_settings().content_dir
    return root, load_content_dir(root)


def cmd_content_validate(args: argparse.Namespace) -> int:
    root, result = _load(args.path)
    for rel, problem in result.problems:
        print(f"{rel}: {problem}")
    if result.problems:
        return _fail(f"{len(result.problems)} problem(s) in {root}; nothing was changed.")
    print(f"All {len(result.documents)} content files in {root} are valid.")
    return 0


async def import_content(path: str | None = None) -> tuple[int, object]:
    from server.content.services import ContentConflict, import_documents

    root, result = _load(path)
    if result.problems:
        for rel, problem in result.problems:
            print(f"{rel}: {problem}", file=sys.stderr)
        return 1, f"{len(result.problems)} problem(s) in {root}: nothing was imported."
    try:
        report = await import_documents(result.documents)
    except ContentConflict as conflict:
        return 1, f"{conflict}; nothing was imported."
    return 0, report


def cmd_content_export(args: argparse.Namespace) -> int:
    from server.content.export import ExportError, export_content

    root = Path(args.path) if args.path else get_settings().content_dir
    try:
        report = asyncio.run(export_content(root))
    except (ExportError, OSError) as exc:
        return _fail(f"could not export to {root}: {exc}")
    for name in report.audio_missing:
        print(f"pusterum: warning: audio/{name} is named by published content but exists neither in "
              f"{get_settings().content_dir / 'audio'} nor in {root / 'audio'}", file=sys.stderr)
    print(report.summary())
    return 0


def cmd_content_import(args: argparse.Namespace) -> int:
    status, outcome = asyncio.run(import_content(args.path))
    if status:
        return _fail(str(outcome))
    print(f"Content imported: {len(outcome.created)} new, {len(outcome.updated)} new version(s), "
          f"{outcome.unchanged} unchanged.")
    return 0


# --- invites ---

async def _create_invite(args: argparse.Namespace) -> str:
    from server.participants import services
    from server.participants.tables import CourseGroup, Site

    site = await Site.select(Site.id).where(Site.slug == args.site).first()
    if site is None:
        raise LookupError(f"no site named {args.site!r}")
    group_id = None
    if args.group:
        group = await CourseGroup.select(CourseGroup.id, CourseGroup.site).where(
            CourseGroup.slug == args.group).first()
        if group is None or group["site"] != site["id"]:
            raise LookupError(f"no course group named {args.group!r} at {args.site!r}")
        group_id = group["id"]
    expires = datetime.now(UTC) + timedelta(days=args.days) if args.days else None
    return await services.create_invite(kind="patient", site_id=site["id"], course_group_id=group_id,
                                        label=args.label, expires_at=expires, max_uses=args.max_uses)


def cmd_invites_create(args: argparse.Namespace) -> int:
    try:
        code = asyncio.run(_create_invite(args))
    except LookupError as exc:
        return _fail(str(exc))
    print(_invite_link("patient", code))
    return 0


# --- printed links: built from the app's route names, like every other link ---

def _routes() -> None:
    from server.app import create_app
    from server.lib import paths

    paths.bind(create_app())


def _invite_link(kind: str, code: str) -> str:
    from server.coordination.services import invite_link

    _routes()
    return invite_link(kind, code)


def _public(route: str, **params: str) -> str:
    from server.lib.paths import path_for

    _routes()
    return get_settings().base_url + path_for(route, **params)


# --- web push ---

def cmd_push_keys(_args: argparse.Namespace) -> int:
    from server.reminders.vapid import ensure_keys, load_key, public_key_b64

    path, made = ensure_keys()
    print(f"{'Made a new' if made else 'Kept the existing'} VAPID key in {path} (keep it out of git and backed up: "
          "replacing it ends every reminder subscription).")
    print(f"Public key: {public_key_b64(load_key())}")
    return 0


async def _push_test(endpoint_hint: str | None) -> tuple[int, str]:
    import aiohttp

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
    async with aiohttp.ClientSession() as session:
        status = await Sender(session, Signer(vapid, get_settings().push_contact)).send(
            Subscription(**row), payload(kind, language))
    host = row["endpoint"].split("/")[2]
    return (0 if status is not None and status < 300 else 1), f"push service {host} answered {status}"


def cmd_push_test(args: argparse.Namespace) -> int:
    _routes()  # the reminder names the page it opens by its route
    status, message = asyncio.run(_push_test(args.endpoint))
    if status:
        return _fail(message)
    print(f"Sent one reminder: {message}.")
    return 0


# --- workspace accounts ---

def _read_password(from_stdin: bool) -> str:
    import getpass

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (8-128 characters): ")
    if first != getpass.getpass("The same password again: "):
        raise ValueError("the two passwords differ")
    return first


def cmd_users_create(args: argparse.Namespace) -> int:
    from server.accounts.services import AccountError, create_account

    try:
        password = _read_password(args.password_stdin)
        account_id = asyncio.run(create_account(args.email, password, tuple(args.role), display_name=args.name))
    except (AccountError, ValueError) as exc:
        return _fail(f"{exc}; no account was made.")
    second = "required at first login" if get_settings().production else "offered at first login"
    print(f"Account {account_id} made for {args.email.strip().lower()} ({', '.join(args.role)}). "
          f"Sign in at {_public('workspace:login')} (second factor {second}).")
    return 0


# --- demo and serve ---

def cmd_demo(_args: argparse.Namespace) -> int:
    from server.participants.services import ensure_demo, ensure_demo_staff

    async def both() -> tuple[str, str]:
        return await ensure_demo(course_slug="mbsr-8-weeks"), await ensure_demo_staff()

    patient, staff = asyncio.run(both())
    print(f"\n  Demo patient invite (course group started 3 weeks ago):\n  {_invite_link('patient', patient)}\n")
    print(f"  Demo staff link (the unit's QR code; no account needed):\n  {_invite_link('staff', staff)}\n")
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from server.demo.data import DemoDataExists, NoContent, generate

    given = {name: getattr(args, name) for name in ("patients", "staff", "days", "seed")
             if getattr(args, name) is not None}
    if min(given.get("patients", 0), given.get("staff", 0)) < 0 or not 1 <= given.get("days", 1) <= 3660:
        return _fail("--patients and --staff must be 0 or more, --days between 1 and 3660; nothing was changed.")
    try:
        s = asyncio.run(generate(**given, end=args.end, replace=args.replace))
    except (DemoDataExists, NoContent, ValueError) as exc:
        return _fail(f"{exc}; nothing was changed.")
    replaced = f" (replacing {s.removed_events:,} earlier demo events)" if s.removed_events else ""
    print(f"Demo data made{replaced}: {s.patients:,} patients and {s.staff:,} staff at {s.sites} demo sites, "
          f"{s.events:,} events from {s.first_day} to {s.last_day} (seed {s.seed}), in {s.seconds:.1f} s "
          f"(events {s.event_seconds:.1f} s, rollups {s.rollup_seconds:.1f} s).")
    return 0


def cmd_reports_refresh(args: argparse.Namespace) -> int:
    """The rollups are a cache of the event log: rebuild them after a restore or an import by hand."""
    from server.reports import rollups

    started = datetime.now(UTC)
    rebuilt = asyncio.run(rollups.refresh(full=args.full))
    seconds = (datetime.now(UTC) - started).total_seconds()
    what = "everyone" if rebuilt < 0 else f"{rebuilt:,} participants"
    print(f"Report rollups brought up to date ({what} rebuilt) in {seconds:.1f} s.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    settings = get_settings()
    Granian(
        target="server.app:create_app", factory=True, interface=Interfaces.ASGI,
        address=settings.host, port=settings.port, workers=args.workers or settings.workers,
        log_access=False, respawn_failed_workers=True,
    ).serve()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pusterum", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the app (granian; HOST, PORT and WORKERS from the environment)")
    serve.add_argument("--workers", type=int, default=None, help="worker processes (default: WORKERS or 1)")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("migrate", help="apply every migration").set_defaults(func=cmd_db_migrate)

    content = sub.add_parser("content", help="content files").add_subparsers(dest="content_command",
                                                                               required=True)
    for name, func, text in (("validate", cmd_content_validate, "check every file; list every problem"),
                             ("import", cmd_content_import, "publish changed files (all or nothing)"),
                             ("export", cmd_content_export, "write every published document back to files")):
        p = content.add_parser(name, help=text)
        p.add_argument("path", nargs="?", help="content folder (default: PUSTERUM_CONTENT_DIR or content/)")
        p.set_defaults(func=func)

    invites = sub.add_parser("invites", help="invite codes").add_subparsers(dest="invites_command",
                                                                            required=True)
    create = invites.add_parser("create", help="create a patient invite link")
    create.add_argument("--site", required=True, help="site slug")
    create.add_argument("--group", help="course group slug")
    create.add_argument("--label", default="", help="a note for coordinators (no personal data)")
    create.add_argument("--days", type=int, help="valid for this many days")
    create.add_argument("--max-uses", type=int, help="how many people may use it")
    create.set_defaults(func=cmd_invites_create)

    push = sub.add_parser("push", help="web push reminders").add_subparsers(dest="push_command", required=True)
    push.add_parser("keys", help="make the VAPID key once (kept if it exists); print the public key").set_defaults(
        func=cmd_push_keys)
    test = push.add_parser("test", help="send one reminder to the newest subscription")
    test.add_argument("--endpoint", help="only a subscription whose endpoint contains this text")
    test.set_defaults(func=cmd_push_test)

    users = sub.add_parser("users", help="workspace accounts").add_subparsers(dest="users_command", required=True)
    create_user = users.add_parser("create", help="make an account (the first admin; others are invited)")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--role", action="append", required=True,
                             choices=("editor", "coordinator", "researcher", "admin"), help="repeat for several")
    create_user.add_argument("--name", default="", help="how the workspace greets her")
    create_user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create_user.set_defaults(func=cmd_users_create)

    sub.add_parser("demo", help="ensure the demo site, course group and invite; print its link").set_defaults(
        func=cmd_demo)

    # Defaults live in server/demo/data.py (not imported here: that needs the database settings).
    demo_data = sub.add_parser("demo-data", help="make a synthetic year of use at demo sites (dashboards, bench)")
    demo_data.add_argument("--patients", type=int, help="patients (default 3000)")
    demo_data.add_argument("--staff", type=int, help="staff (default 5000)")
    demo_data.add_argument("--days", type=int, help="days in the period (default 365)")
    demo_data.add_argument("--seed", type=int, help="the same seed gives the same data (default 1)")
    demo_data.add_argument("--end", type=date.fromisoformat, help="the last day, YYYY-MM-DD (default: yesterday)")
    demo_data.add_argument("--replace", action="store_true", help="remove earlier demo data first")
    demo_data.set_defaults(func=cmd_demo_data)

    reports = sub.add_parser("reports", help="the follow-up's reports").add_subparsers(dest="reports_command",
                                                                                     required=True)
    refresh = reports.add_parser("refresh", help="fold new events into the report rollups (the app does it too)")
    refresh.add_argument("--full", action="store_true", help="rebuild every rollup from the event log")
    refresh.set_defaults(func=cmd_reports_refresh)
    return parser


def main(argv: list[str] | None = None) -> int:
    from server.lib.i18n import current_language

    current_language.set("en")  # the operator's messages are in English, like this help
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    raise SystemExit(main())
