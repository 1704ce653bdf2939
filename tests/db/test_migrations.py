"""The committed migrations build the whole schema on an empty database of each kind."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest


@pytest.mark.usefixtures("database")
def test_it_has_applied_every_migration_and_created_every_table():
    from piccolo.apps.migrations.tables import Migration

    from server.db.piccolo_app import TABLES
    from server.db.piccolo_conf import DB

    async def check():
        applied = await Migration.select(Migration.name).where(Migration.app_name == "server")
        tables = [await t.table_exists() for t in TABLES]
        wal = await DB.run_ddl("PRAGMA journal_mode") if DB.engine_type != "postgres" else None
        return applied, tables, wal

    applied, tables, wal = asyncio.run(check())
    assert applied, "no migration recorded as applied"
    assert all(tables)
    if wal is not None:
        assert wal[0]["journal_mode"] == "wal"


@pytest.mark.usefixtures("database")
def test_it_runs_migrations_a_second_time_without_changing_anything():
    from server.cli import migrate

    asyncio.run(migrate())


def _carried_over(env: dict[str, str], script: str = "tests.db.carry_over") -> dict:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", script], env=env, capture_output=True, text=True,
                          timeout=180, cwd=Path(__file__).resolve().parents[2], check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def fresh_database(tmp_path) -> dict[str, str]:
    """The environment of a process whose database is new and empty, on the engine this suite runs on."""
    import os
    import uuid

    env = {**os.environ, "PUSTERUM_VAR_DIR": str(tmp_path)}
    url = os.environ.get("DATABASE_URL")
    if url is None:
        return env
    import asyncpg

    name = f"carry_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    return env


@pytest.mark.usefixtures("database")
def test_ratings_scores_answers_and_days_are_carried_into_their_own_columns(fresh_database):
    carried = _carried_over(fresh_database)
    events = carried["events"]
    assert (events["rating_given"]["rating"], events["rating_given"]["score"]) == (4, None)
    assert events["rating_given"]["comment"] == "Rart at trække vejret"
    assert (events["questionnaire_answered"]["score"], events["questionnaire_answered"]["rating"]) == (72, None)
    assert json.loads(events["questionnaire_answered"]["answers"]) == [3, 4, 5, 3, 3]
    assert (events["pause_completed"]["stress_before"], events["pause_completed"]["stress_after"]) == (6, 3)
    # Rows from before days were kept get their Copenhagen day, across midnight and in summer time.
    assert events["rating_given"]["day"] == "2026-03-29"
    assert events["app_opened"]["day"] == "2026-07-02"
    assert events["questionnaire_answered"]["day"] == "2026-03-20"
    assert carried["undated"].startswith("refused")
    # The rollups are rebuilt from the new columns.
    assert [(r["score"], json.loads(r["answers"])) for r in carried["readings"]] == [(72, [3, 4, 5, 3, 3])]


@pytest.mark.usefixtures("database")
def test_people_who_joined_before_record_keys_each_get_a_random_one(fresh_database):
    from server.lib.disclosure import RECORD_KEY_SPACE

    keys = _carried_over(fresh_database)["record_keys"]
    assert len(keys) == 3 and len(set(keys)) == 3  # one each, not one default for all
    assert all(0 <= k < RECORD_KEY_SPACE for k in keys)


@pytest.mark.usefixtures("database")
def test_annual_notes_are_rekeyed_by_site_ids_and_the_notes_about_every_site_stay_the_admins(fresh_database):
    carried = _carried_over(fresh_database, "tests.db.notes_carry_over")
    ids = carried["ids"]
    scopes = [note["scope"] for note in carried["notes"]]  # in the order they were written
    assert scopes == [
        "all",  # the notes about every site: still the admins' key, which no coordinator's choice makes
        str(ids["east"]),
        ",".join(str(i) for i in sorted((ids["east"], ids["west"]))),
        str(ids["12"]),  # "12" was a slug, not an id
        "slugs:east,gone-site",  # a site that no longer exists: kept, under a key no page asks for
    ]
    assert [note["body"] for note in carried["notes"]] == [f"note {n}" for n in range(5)]
    # A code made before codes were kept has no sealed copy (its sheet says so); long keys fit.
    assert carried["invites"] == [{"label": "Old poster", "code_sealed": None}]
    assert carried["long_key_kept"]


@pytest.mark.usefixtures("database")
def test_the_research_pseudonyms_key_is_carried_over_from_the_secret_key_of_the_day(fresh_database):
    """The migration that gave pseudonyms a key of their own stored the one they were made with until then
    (HMAC of their purpose under SECRET_KEY), so no pseudonym changed with the move (ASVS 1.6.3)."""
    import hashlib
    import hmac

    secret = "the-key-this-installation-had-when-it-upgraded-0123456789"
    carried = _carried_over({**fresh_database, "SECRET_KEY": secret})
    expected = hmac.new(secret.encode(), b"research-pseudonym", hashlib.sha256).hexdigest()
    assert carried["stored_keys"] == {"research-pseudonym": expected}


@pytest.mark.usefixtures("database")
def test_a_site_from_before_keeps_everything_and_gains_a_ward_and_a_clinic_number(fresh_database):
    """Sites made before the numbers existed have none (their patients' page points to the pregnancy record)
    until a coordinator gives them; a number of 20 characters fits."""
    carried = _carried_over(fresh_database, "tests.db.site_numbers_carry_over")
    assert carried["before"] == {"slug": "old-clinic", "municipality_code": "0751", "ward_phone": None,
                                 "clinic_phone": None}
    assert carried["after"] == {"ward_phone": "+45 38 63 50 00 1234", "clinic_phone": "38 63 50 10"}
