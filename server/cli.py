"""``pusterum``: the operator's commands (also ``python -m server``), assembled from each domain's own
``commands.py``; only what belongs to no domain lives here: ``serve``, and the app whose route table the
printed links are built from.

Each command prints what it did in a sentence and exits non-zero with a plain message when it could not.
"""

from __future__ import annotations

import click

from server.accounts.commands import users
from server.content.commands import content, import_content
from server.coordination.commands import invites
from server.db.commands import db, migrate
from server.demo.commands import demo, demo_data
from server.lib.commands import Failure, Group, offer_routes
from server.reminders.commands import push
from server.reports.commands import reports
from server.settings import SettingsError, get_settings

# ``migrate`` and ``import_content`` are re-exported: the tests set up their databases with them.
__all__ = ["import_content", "main", "migrate", "pusterum"]


def _routes() -> None:
    """Binds the app's route table for printed links (``server.lib.paths.bind``). The app is built only when
    a command asks for it (``server.lib.commands.bind_routes``): it imports every table, so not before the
    database settings are final, and not at all for a command that prints no link."""
    from server.app import create_app
    from server.lib import paths

    paths.bind(create_app())


@click.group("pusterum", cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def pusterum(ctx: click.Context) -> None:
    """The operator's commands for Pusterum (also `python -m server`). Settings come from the environment."""
    offer_routes(ctx, _routes)


@pusterum.command(short_help="serve the app (granian; HOST, PORT and WORKERS from the environment)")
@click.option("--workers", type=int, metavar="N", help="worker processes (default: WORKERS or 1)")
def serve(workers: int | None) -> None:
    """Serve the app with granian on HOST:PORT (settings from the environment; see the README).
    \f
    Each worker builds its own app from the factory, so this process never imports the tables.
    """
    from granian import Granian
    from granian.constants import Interfaces

    settings = get_settings()
    Granian(
        target="server.app:create_app", factory=True, interface=Interfaces.ASGI,
        address=settings.host, port=settings.port, workers=workers or settings.workers,
        log_access=False, respawn_failed_workers=True,
    ).serve()


# `pusterum --help` lists them in this order (after serve), as it always has.
for _command in (db, content, invites, push, users, demo, demo_data, reports):
    pusterum.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """The console script and ``python -m server``: returns the exit status instead of exiting, so that a
    test can call it in-process. 0 done (and ``--help``), 1 could not (``pusterum: why`` on standard
    error), 2 a command line click could not read (with the usage)."""
    from server.lib.i18n import current_language

    current_language.set("en")  # the operator's messages are in English, like this help
    try:
        status = pusterum.main(args=argv, prog_name="pusterum", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:  # Ctrl-C, or the end of input at the password prompt
        click.echo("Aborted!", err=True)
        return 1
    except SettingsError as exc:  # e.g. production without a SECRET_KEY: the message says what to set
        Failure(str(exc)).show()
        return 1
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
