"""What every domain's ``pusterum`` commands share: the plain failure, the group that lists its commands in
the order of use, and the app's route table for printed links, bound only by a command that prints one.

Each domain keeps its commands in its own ``commands.py`` (a click group or command); ``server.cli``
assembles them under ``pusterum``. A command prints what it did in a sentence, and when it could not, it
raises ``Failure`` with a plain message rather than showing a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

import click

_BIND_ROUTES = "pusterum.bind_routes"  # ctx.meta keys, named after the tool as click asks of extensions
_ROUTES_BOUND = "pusterum.routes_bound"


class Failure(click.ClickException):
    """What a command could not do: ``pusterum: <message>`` on standard error, exit status 1 (the scripts,
    the Makefile and the tests read both)."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"pusterum: {self.format_message()}", file=file, err=file is None)


class Group(click.Group):
    """A group that lists its commands in the order they were added (the order an operator uses them:
    validate, import, export), not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


def offer_routes(ctx: click.Context, bind: Callable[[], None]) -> None:
    """Called by the top group, the one place allowed to import the app: ``bind`` builds it and binds its
    route table (``server.lib.paths.bind``)."""
    ctx.meta[_BIND_ROUTES] = bind


def bind_routes() -> None:
    """Makes ``server.lib.paths.path_for`` work in a command that prints a link or sends a reminder naming a
    page. Not done for every command: building the app imports every table, so the database settings must
    be final first, and ``serve`` or ``content validate`` have no use for it. Once per command run."""
    meta = click.get_current_context().meta
    if not meta.get(_ROUTES_BOUND):
        meta[_BIND_ROUTES]()
        meta[_ROUTES_BOUND] = True
