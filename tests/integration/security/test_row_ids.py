"""An id that no row can have (too large for an INTEGER column) is no row: 404 and nothing changed, on both
engines (ASVS 5.1.3). PostgreSQL used to answer such an id with an error, which became a 500."""

from __future__ import annotations

import pytest

from server.accounts.tables import AuditEntry
from server.db import ROW_ID_MAX
from tests.support import csrf_token

TOO_LARGE = ROW_ID_MAX + 1


@pytest.mark.parametrize("path", [
    f"/workspace/admin/accounts/{TOO_LARGE}/disable",
    f"/workspace/admin/accounts/{TOO_LARGE}/password-reset",
    f"/workspace/admin/accounts/{TOO_LARGE}/second-factor-reset",
    f"/workspace/admin/account-sites/{TOO_LARGE}",
])
async def test_an_admin_action_on_an_id_no_account_can_have_is_not_found(admin, path):
    """ASVS 5.1.3: the id is checked against what it can be before any query."""
    token = csrf_token((await admin.get("/workspace/admin/accounts")).text)
    before = await AuditEntry.count()
    response = await admin.post(path, data={"_csrf_token": token, "site": "1"})
    assert response.status_code == 404, response.text[-500:]
    assert await AuditEntry.count() == before


async def test_a_rollback_to_a_version_no_row_can_have_is_not_found(editor):
    """ASVS 5.1.3: the same for an editor's rollback."""
    page = await editor.get("/workspace/content/")
    response = await editor.post(f"/workspace/content/box-breathing/rollback/{TOO_LARGE}",
                                 data={"_csrf_token": csrf_token(page.text)})
    assert response.status_code == 404, response.text[-500:]
