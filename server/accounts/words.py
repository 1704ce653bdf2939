"""The names people read for roles and for audit-log entries, in her language: the code keeps its short
English keys ("coordinator", "report.notes_saved"); pages show these words instead (issue 16)."""

from __future__ import annotations

from server.lib.i18n import N_, _

ROLE_NAMES = {"editor": N_("editor"), "coordinator": N_("coordinator"), "researcher": N_("researcher"),
              "admin": N_("administrator")}

AUDIT_ACTIONS = {
    "account.created": N_("Account created"),
    "account.disabled": N_("Account disabled"),
    "account.enabled": N_("Account enabled again"),
    "account.invited": N_("Invited to an account"),
    "account.password_changed": N_("Password changed"),
    "account.password_reset": N_("New password set from a link"),
    "account.password_reset_link_made": N_("Link to a new password made"),
    "account.reauthenticated": N_("Confirmed it was them"),
    "account.reauthentication_failed": N_("Could not confirm it was them"),
    "account.recovery_code_used": N_("Recovery code used"),
    "account.second_factor_removed": N_("Second factor turned off"),
    "account.second_factor_reset": N_("Second factor reset by an administrator"),
    "account.second_factor_set": N_("Second factor set up"),
    "account.second_factor_unreadable": N_("Second factor could not be read"),
    "account.sites_set": N_("A coordinator's sites changed"),
    "content.audio_uploaded": N_("Recording uploaded"),
    "content.confirmed": N_("A fact to check confirmed as checked"),
    "content.created": N_("New content started"),
    "content.published": N_("Content published"),
    "content.published_after_review": N_("Content published after review"),
    "content.rolled_back": N_("An earlier version published again"),
    "export.downloaded": N_("Data downloaded"),
    "group.changed": N_("Group changed"),
    "group.created": N_("Group created"),
    "invite.created": N_("Invite code made"),
    "invite.revoked": N_("Invite code revoked"),
    "invite.sheet_opened": N_("QR sheet opened"),
    "keys.second_factors_reencrypted": N_("Second factors locked with the new key"),
    "report.notes_saved": N_("Annual report notes saved"),
    "session.login": N_("Signed in"),
    "session.logout": N_("Signed out"),
    "session.revoked_by_admin": N_("Signed out everywhere by an administrator"),
    "session.second_factor_failed": N_("Wrong code for the second factor"),
    "site.partners": N_("Partners switched on or off for a site"),
    "site.changed": N_("Site changed"),
    "site.created": N_("Site created"),
    "unit.changed": N_("Unit changed"),
    "unit.created": N_("Unit created"),
}


def role_name(role: str) -> str:
    return _(ROLE_NAMES[role]) if role in ROLE_NAMES else role


def audit_action(action: str) -> str:
    """An entry's words; an action not named here yet is shown as its key, so it is never hidden."""
    return _(AUDIT_ACTIONS[action]) if action in AUDIT_ACTIONS else action
