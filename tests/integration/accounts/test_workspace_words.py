"""Role names and audit-log entries are words in her language on every workspace page, never the code's
keys ("coordinator", "report.notes_saved"), and every action the code records has its words."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from server.accounts.tables import ROLES, AuditEntry
from server.accounts.words import AUDIT_ACTIONS, ROLE_NAMES

ROOT = Path(__file__).resolve().parents[3]


def _recorded_actions() -> set[str]:
    """Every action the server records: the dotted names in each ``audit(...)`` call before its first
    keyword argument (so ``"account.disabled" if disabled else "account.enabled"`` gives both)."""
    found = set()
    for path in (ROOT / "server").rglob("*.py"):
        text = path.read_text()
        for call in re.finditer(r"(?<!def )\baudit\(([^=]{0,160})", text):
            found |= set(re.findall(r'"([a-z_]+\.[a-z_]+)"', call.group(1)))
    return found


def test_every_action_the_code_records_has_words():
    recorded = _recorded_actions()
    assert len(recorded) > 20  # the search finds them
    assert recorded - set(AUDIT_ACTIONS) == set(), "name the new audit action in server/accounts/words.py"


def test_every_role_has_a_name():
    assert set(ROLES) == set(ROLE_NAMES)


async def test_a_danish_admin_reads_no_raw_audit_action_or_english_role_name(actors):
    admin = await actors.admin(lang="da")
    await actors.account("editor", "coordinator", "researcher", lang="da")
    await AuditEntry.insert(*[AuditEntry(at=datetime.now(UTC), actor=None, action=action, target="x", detail="{}")
                              for action in AUDIT_ACTIONS])
    audit = (await admin.get("/workspace/admin/audit")).text
    for action in AUDIT_ACTIONS:
        assert f">{action}<" not in audit and f"<code>{action}</code>" not in audit, action
    assert "Noter til årsrapporten gemt" in audit and "Invitationskode lavet" in audit
    accounts = (await admin.get("/workspace/admin/accounts")).text
    home = (await admin.get("/workspace")).text
    for page in (accounts, home):
        cells = re.findall(r">([^<>]*)<", page)
        for role in ("editor", "coordinator", "researcher", "admin"):
            assert not any(re.search(rf"(^|, ){role}(,|$)", c.strip()) for c in cells), role
    assert "redaktør, koordinator, forsker" in accounts and ">koordinator</label>" in accounts
    assert "Dine roller: administrator" in home
