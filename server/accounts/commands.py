"""``pusterum users``: the first workspace account, made from the command line (everyone else is invited
from the workspace); the operator's way back in for an account nobody in the workspace can help (the only
admin's lost password or phone); and, after a change of SECRET_KEY, every second factor encrypted anew."""

from __future__ import annotations

import asyncio
import sys

import click

from server.lib.commands import Failure, Group, bind_routes
from server.settings import get_settings

ROLES = ("editor", "coordinator", "researcher", "admin")


def _read_password(from_stdin: bool) -> str:
    """Never an option: a password on the command line would stay in the shell's history and in ``ps``."""
    import getpass

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (8-128 characters): ")
    if first != getpass.getpass("The same password again: "):
        raise ValueError("the two passwords differ")
    return first


@click.group(cls=Group, short_help="workspace accounts")
def users() -> None:
    """Workspace accounts."""


@users.command(short_help="make an account (the first admin; others are invited)")
@click.option("--email", required=True, metavar="ADDRESS", help="her e-mail address (she signs in with it)")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), metavar="ROLE",
              help=f"{', '.join(ROLES[:-1])} or {ROLES[-1]}; repeat for several")
@click.option("--name", default="", help="how the workspace greets her")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create(email: str, roles: tuple[str, ...], name: str, password_stdin: bool) -> None:
    """Make a workspace account: the first admin (everyone else is invited from the workspace). The password
    is asked for twice, or read from standard input."""
    from server.accounts.services import AccountError, create_account
    from server.lib.paths import path_for

    try:
        password = _read_password(password_stdin)
        account_id = asyncio.run(create_account(email, password, roles, display_name=name))
    except (AccountError, ValueError) as exc:
        raise Failure(f"{exc}; no account was made.") from exc
    second = "required at first login" if get_settings().production else "offered at first login"
    bind_routes()  # the sign-in address is built from the app's route table, like every other link
    login = get_settings().base_url + path_for("workspace:login")
    click.echo(f"Account {account_id} made for {email.strip().lower()} ({', '.join(roles)}). "
               f"Sign in at {login} (second factor {second}).")


async def _account(email: str) -> int:
    from server.accounts.services import account_id_for

    account_id = await account_id_for(email)
    if account_id is None:
        raise Failure(f"there is no account with the e-mail address {email.strip().lower()}.")
    return account_id


@users.command("reset-password", short_help="print a one-time link to choose a new password")
@click.option("--email", required=True, metavar="ADDRESS", help="her e-mail address")
def reset_password(email: str) -> None:
    """Print a one-time link (24 hours) for her to choose a new password, as an admin can make in the workspace.
    Her old password stops working and every session of hers ends at once."""
    from server.accounts.services import make_reset_link
    from server.lib.paths import path_for

    async def run() -> str:
        return await make_reset_link(await _account(email), None)

    token = asyncio.run(run())
    bind_routes()
    click.echo(f"Send this link to her yourself; it works once, for 24 hours: "
               f"{get_settings().base_url + path_for('workspace:reset', token=token)}")


@users.command("reset-second-factor", short_help="remove a lost second factor; she sets up a new one")
@click.option("--email", required=True, metavar="ADDRESS", help="her e-mail address")
def reset_second_factor(email: str) -> None:
    """Remove her second factor and recovery codes (her phone is lost) and end her sessions; she sets up a new
    one at her next sign-in. Only when you know it is her asking."""
    from server.accounts.services import reset_second_factor as reset

    async def run() -> None:
        await reset(await _account(email), None)

    asyncio.run(run())
    click.echo(f"The second factor of {email.strip().lower()} is removed; she sets up a new one when she next "
               f"signs in.")


@users.command("reencrypt", short_help="encrypt every second factor under the current SECRET_KEY")
def reencrypt() -> None:
    """After a change of SECRET_KEY (run it with the former key in SECRET_KEY_FALLBACKS): encrypt every stored
    second-factor secret under the new key now, rather than at each person's next sign-in."""
    from server.accounts.services import reencrypt_second_factors

    done = asyncio.run(reencrypt_second_factors())
    click.echo(f"{done.renewed} second factors encrypted under the current key; {done.current} already were.")
    if done.unreadable:
        raise Failure(f"{done.unreadable} second factors are under a key that is not configured (add it to "
                      f"SECRET_KEY_FALLBACKS and run this again, or those people sign in with a recovery code).")
