"""The operator's commands behind `make run`: running them twice changes nothing."""

from __future__ import annotations

import asyncio
import re

from server.participants.tables import CourseGroup, InviteCode, Site, Unit
from tests.integration.content.test_import import run_cli


async def _counts() -> tuple[int, int, int, int]:
    return await Site.count(), await CourseGroup.count(), await Unit.count(), await InviteCode.count()


def test_demo_twice_prints_the_same_link_and_creates_no_duplicates(db):
    first = run_cli("demo")
    second = run_cli("demo")
    assert first.returncode == 0 and second.returncode == 0
    for door in ("j", "u"):  # the patient invite and the staff unit's link
        link = re.search(rf"http\S+/{door}/(\S+)", first.stdout).group(1)
        assert link == re.search(rf"http\S+/{door}/(\S+)", second.stdout).group(1)
    # a clinic with a course group and a hospital with a unit; one code each
    assert asyncio.run(_counts()) == (2, 1, 1, 2)
    group = asyncio.run(CourseGroup.select(CourseGroup.starts_on, CourseGroup.course_slug).first().run())
    assert group["course_slug"] == "mbsr-8-weeks"


def test_the_demo_link_lets_a_patient_join(db, app):
    from tests.support import app_client, enrol

    code = re.search(r"/j/(\S+)", run_cli("demo").stdout).group(1)

    async def join():
        async with app_client(app) as client:
            await enrol(client, code)
            return (await client.get("/home")).status_code

    assert asyncio.run(join()) == 200


def test_invites_create_prints_a_new_link_for_a_known_site(db):
    run_cli("demo")
    result = run_cli("invites", "create", "--site", "demo-familieambulatoriet", "--group", "demo-hold",
                     "--days", "30", "--max-uses", "20")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"http\S+/j/[A-Za-z0-9_-]{22}\n", result.stdout)
    row = asyncio.run(InviteCode.select().order_by(InviteCode.id, ascending=False).first().run())
    assert row["max_uses"] == 20 and row["expires_at"] is not None


def test_invites_create_refuses_an_unknown_site_and_creates_nothing(db):
    result = run_cli("invites", "create", "--site", "nowhere")
    assert result.returncode == 1
    assert "no site named 'nowhere'" in result.stderr
    assert asyncio.run(InviteCode.count().run()) == 0


def test_serve_refuses_to_start_in_production_without_settings(db):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "PUSTERUM_ENV": "production", "SECRET_KEY": "", "BASE_URL": "http://x"}
    result = subprocess.run([sys.executable, "-m", "server", "serve"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "SECRET_KEY" in result.stderr and "https://" in result.stderr
    assert "Traceback" not in result.stderr
