"""What comes through the workspace's door: sign-in, the second factor, invitations, password changes and
resets, an admin's site links.

Plain text with limits: a wrong password or code is judged by the service (and counted by the throttle),
never answered field by field, so nothing here tells an attacker which part was wrong."""

from __future__ import annotations

from typing import Annotated

import msgspec


class LoginForm(msgspec.Struct, frozen=True):
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    password: Annotated[str, msgspec.Meta(max_length=1024)] = ""


class CodeForm(msgspec.Struct, frozen=True):
    code: Annotated[str, msgspec.Meta(max_length=20)] = ""
    pending: Annotated[str, msgspec.Meta(max_length=400)] = ""


class InviteForm(msgspec.Struct, frozen=True):
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    role: list[str] | str = msgspec.field(default_factory=list)


class SitesForm(msgspec.Struct, frozen=True):
    site: list[int] | int = msgspec.field(default_factory=list)


class PasswordForm(msgspec.Struct, frozen=True):
    password: Annotated[str, msgspec.Meta(max_length=1024)] = ""
    display_name: Annotated[str, msgspec.Meta(max_length=80)] = ""


class PasswordChangeForm(msgspec.Struct, frozen=True):
    current_password: Annotated[str, msgspec.Meta(max_length=1024)] = ""
    new_password: Annotated[str, msgspec.Meta(max_length=1024)] = ""


class ReauthenticateForm(msgspec.Struct, frozen=True):
    """Her password and a current code again, before her second factor is replaced or removed."""

    password: Annotated[str, msgspec.Meta(max_length=1024)] = ""
    code: Annotated[str, msgspec.Meta(max_length=20)] = ""


class NewPasswordForm(msgspec.Struct, frozen=True):
    password: Annotated[str, msgspec.Meta(max_length=1024)] = ""
