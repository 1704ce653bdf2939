"""Research exports: pseudonymised, day-resolution CSV files, streamed, audit-logged, for researchers only."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from server.accounts.tables import AuditEntry
from server.content.catalog import get_catalog
from server.engagement.tables import Event
from server.lib.localtime import local, today
from server.participants.services import hash_code
from server.reports import exports
from tests.support import (
    csrf_token,
    enrol,
    enrol_staff,
    event,
    exercise_version,
    make_invite,
    make_staff_code,
    phone,
    post_events,
)

PAGE = "/workspace/reports/exports"
DOWNLOAD = f"{PAGE}/download"
USER_AGENT = "LeakCanaryPhone/9.9 (export-test)"
A_PHONE = {"user-agent": USER_AGENT}  # what a phone says of itself, which no export may repeat
CLIENT_IP = "127.0.0.1"  # what httpx's ASGI transport reports as the client's address
FILES = ("participants.csv", "events.csv", "responses.csv", "comments.csv", "content_versions.csv", "codebook.csv")
HEADERS = {
    "participants.csv": ["pseudonym", "kind", "site", "unit", "course_group", "course", "municipality", "language",
                         "enrolled_day", "consent_version", "withdrawn_day", "withdrawal"],
    "events.csv": ["pseudonym", "day", "type", "content", "version", "step", "seconds", "rating", "score",
                   "stress_before", "stress_after", "clock_suspect", "question", "option", "correct"],
    "responses.csv": ["pseudonym", "day", "questionnaire", "version", "item_1", "item_2", "item_3", "item_4", "item_5",
                      "score"],
    "comments.csv": ["quarter", "kind", "comment"],
    "content_versions.csv": ["content", "kind", "version", "created_day", "published_day", "title_da", "title_en"],
    "codebook.csv": ["file", "column", "type", "meaning", "values"],
}
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def who5() -> int:
    return get_catalog().questionnaires["who-5"].version_id


@dataclass
class Story:
    codes: list[str] = field(default_factory=list)
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)


async def _withdraw(client: httpx.AsyncClient, choice: str) -> None:
    form = await client.get("/settings/withdraw")
    response = await client.post("/settings/withdraw", data={"_csrf_token": csrf_token(form.text), "choice": choice})
    assert response.status_code == 200


async def story(app) -> Story:
    """Real people through the real doors: two patients at the test clinic (one with an old event), one at
    another clinic, one who stops and keeps her records, one who stops and has them deleted, a nurse."""
    s = Story()
    version = exercise_version("breathing-space-3")
    s.codes.append(await make_invite())
    async with phone(app, **A_PHONE) as client:
        s.ids["anna"] = await enrol(client, s.codes[-1], lang="en", municipality="0751")
        assert (await post_events(client, [
            event("app_opened", occurred_at=ago(40)),
            event("exercise_started", exercise_version=version),
            event("step_completed", exercise_version=version, step=0),
            event("exercise_completed", exercise_version=version, seconds=170),
            event("rating_given", exercise_version=version, rating=4, comment='=HYPERLINK("http://x") calm now'),
            event("questionnaire_answered", questionnaire_version=who5(), answers=[3, 4, 2, 5, 1]),
        ])).status_code == 200
        s.cookies.extend(client.cookies.values())
    async with phone(app, **A_PHONE) as client:
        s.ids["bea"] = await enrol(client, s.codes[-1])
        assert (await post_events(client, [event("exercise_started", exercise_version=version)])).status_code == 200
        s.cookies.extend(client.cookies.values())
    s.codes.append(await make_invite(site_slug="other-site"))
    async with phone(app, **A_PHONE) as client:
        s.ids["cira"] = await enrol(client, s.codes[-1])
        assert (await post_events(client, [
            event("rating_given", exercise_version=version, rating=2, comment="too long for me")])).status_code == 200
    async with phone(app, **A_PHONE) as client:
        s.ids["kept"] = await enrol(client, s.codes[0])
        assert (await post_events(client, [event("app_opened")])).status_code == 200
        await _withdraw(client, "keep")
    async with phone(app, **A_PHONE) as client:
        s.ids["gone"] = await enrol(client, s.codes[0], municipality="0461")
        assert (await post_events(client, [
            event("rating_given", exercise_version=version, rating=5, comment="private words of the gone one"),
        ])).status_code == 200
        await _withdraw(client, "delete")
    s.codes.append(await make_staff_code())
    async with phone(app, **A_PHONE) as client:
        s.ids["nurse"] = await enrol_staff(client, s.codes[-1])
        assert (await post_events(client, [event("pause_completed", exercise_version=exercise_version(
            "doorway-pause"), seconds=60, stress_before=7, stress_after=3)])).status_code == 200
    return s


def rows_of(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text[:500]
    assert response.content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark, for Excel"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def header_of(response: httpx.Response) -> list[str]:
    return next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def download(client: httpx.AsyncClient, file: str, **params: str | list[str]) -> httpx.Response:
    return await client.get(DOWNLOAD, params={"file": file, **params})


async def audit_entries() -> list[dict]:
    return await AuditEntry.select().where(AuditEntry.action == "export.downloaded").order_by(AuditEntry.id)


async def test_each_file_holds_what_the_codebook_says_and_nothing_that_points_at_a_person(app, researcher):
    s = await story(app)
    page = await researcher.get(PAGE)
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    for name in FILES:
        assert f'value="{name}"' in page.text
    assert 'value="other-site"' in page.text and "<script>" not in page.text and "style=" not in page.text
    home = await researcher.get("/workspace")
    assert f'href="{PAGE}"' in home.text
    got = {name: await download(researcher, name) for name in FILES}
    again = await download(researcher, "events.csv")

    start, end = exports.default_period(today())
    for name, response in got.items():
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"] == (
            f'attachment; filename="pusterum-{name[:-4]}-{start.isoformat()}_{end.isoformat()}.csv"')
        assert "no-store" in response.headers["cache-control"]
        assert header_of(response) == HEADERS[name], name

    # Nothing in any byte of any file that points at a person or her phone.
    secrets = [CLIENT_IP, USER_AGENT, "LeakCanary", *(c for c in s.cookies if len(c) > 20)]
    for participant_id in s.ids.values():
        secrets += [str(participant_id), participant_id.hex]
    for code in s.codes:
        secrets += [code, hash_code(code)]
    for name, response in got.items():
        body = response.content.decode("utf-8-sig").lower()
        leaked = [secret for secret in secrets if secret.lower() in body]
        assert not leaked, f"{name} holds {leaked}"
        # Days only: no time of day anywhere.
        assert not re.search(r"\d{4}-\d{2}-\d{2}[t ]\d", body) and not re.search(r"\d{1,2}:\d{2}", body), name

    key = await exports.pseudonym_key()
    pseudonym = {who: exports.pseudonym(pid, key) for who, pid in s.ids.items()}
    assert len(set(pseudonym.values())) == len(pseudonym) and all(len(p) == 16 for p in pseudonym.values())

    people = {r["pseudonym"]: r for r in rows_of(got["participants.csv"])}
    assert set(people) == {pseudonym[w] for w in ("anna", "bea", "cira", "kept", "nurse")}  # never "gone"
    anna = people[pseudonym["anna"]]
    assert anna == anna | {"kind": "patient", "site": "test-site", "unit": "", "course_group": "test-site-group",
                           "course": "mbsr-8-weeks", "municipality": "0751", "language": "en",
                           "enrolled_day": today().isoformat(), "withdrawn_day": "", "withdrawal": ""}
    assert anna["consent_version"]
    assert people[pseudonym["kept"]]["withdrawal"] == "keep"
    assert people[pseudonym["kept"]]["withdrawn_day"] == today().isoformat()
    nurse = people[pseudonym["nurse"]]
    assert nurse["kind"] == "staff" and nurse["site"] == "test-hospital" and nurse["unit"] == "test-unit"
    assert people[pseudonym["cira"]]["site"] == "other-site"

    events = rows_of(got["events.csv"])
    assert events == rows_of(again), "the same rows and pseudonyms in a second download"
    by_person: dict[str, list[dict[str, str]]] = {}
    for row in events:
        assert DAY.match(row["day"]), row
        by_person.setdefault(row["pseudonym"], []).append(row)
    assert set(by_person) <= set(people) and pseudonym["gone"] not in by_person
    anna_events = {r["type"]: r for r in by_person[pseudonym["anna"]]}
    assert set(anna_events) == {"app_opened", "exercise_started", "step_completed", "exercise_completed",
                                "rating_given", "questionnaire_answered"}
    assert anna_events["app_opened"]["day"] == (today() - timedelta(days=40)).isoformat()
    number = str(get_catalog().exercises["breathing-space-3"].version)
    assert anna_events["exercise_completed"] == anna_events["exercise_completed"] | {
        "content": "breathing-space-3", "version": number, "seconds": "170", "rating": "", "score": ""}
    assert anna_events["step_completed"]["step"] == "0"
    assert anna_events["rating_given"]["rating"] == "4"
    assert anna_events["questionnaire_answered"] == anna_events["questionnaire_answered"] | {
        "content": "who-5", "score": str((3 + 4 + 2 + 5 + 1) * 4), "rating": ""}
    (pause,) = by_person[pseudonym["nurse"]]
    assert pause == pause | {"type": "pause_completed", "content": "doorway-pause", "seconds": "60",
                             "stress_before": "7", "stress_after": "3"}
    assert "calm now" not in got["events.csv"].text  # no comment in the events

    (answer,) = rows_of(got["responses.csv"])
    assert answer["pseudonym"] == pseudonym["anna"]
    assert answer == answer | {"day": today().isoformat(), "questionnaire": "who-5",
                               "item_1": "3", "item_2": "4", "item_3": "2", "item_4": "5", "item_5": "1",
                               "score": "60"}

    # Two people's comments: fewer than five, so none leaves (tests/unit/test_comment_release.py says when).
    assert rows_of(got["comments.csv"]) == [] and "calm now" not in got["comments.csv"].text

    versions = rows_of(got["content_versions.csv"])
    who = next(r for r in versions if r["content"] == "who-5")
    assert who["kind"] == "questionnaire" and who["title_en"] == "WHO-5 Well-Being Index" and DAY.match(
        who["published_day"])
    assert {r["kind"] for r in versions} >= {"exercise", "course", "resource", "questionnaire"}

    codebook = rows_of(got["codebook.csv"])
    documented = {(r["file"], r["column"]) for r in codebook}
    for name in FILES:
        assert {(name, column) for column in HEADERS[name]} <= documented, name
    assert all(r["meaning"] for r in codebook)
    notes = " ".join(r["meaning"] for r in codebook if r["file"] == "*")
    assert "key" in notes and "time of day" in notes

    entries = await audit_entries()
    assert [e["target"] for e in entries] == [*FILES, "events.csv"]
    assert all(e["actor"] == researcher.account_id for e in entries)
    assert json.loads(entries[0]["detail"]) == {"period": f"{start.isoformat()}/{end.isoformat()}", "sites": []}


async def test_the_period_and_the_sites_narrow_the_rows(app, researcher):
    s = await story(app)
    recent = {"from": (today() - timedelta(days=10)).isoformat(), "to": today().isoformat()}
    old = {"from": (today() - timedelta(days=60)).isoformat(), "to": (today() - timedelta(days=1)).isoformat()}
    events_recent = rows_of(await download(researcher, "events.csv", **recent))
    events_old = rows_of(await download(researcher, "events.csv", **old))
    people_old = rows_of(await download(researcher, "participants.csv", **old))
    other = {name: rows_of(await download(researcher, name, site="other-site"))
             for name in ("participants.csv", "events.csv", "comments.csv")}
    both = rows_of(await download(researcher, "participants.csv", site=["other-site", "test-site"]))
    entries = await audit_entries()

    assert "app_opened" not in {r["type"] for r in events_recent if r["day"] < recent["from"]}
    assert all(r["day"] >= recent["from"] for r in events_recent) and len(events_recent) >= 7
    assert [r["type"] for r in events_old] == ["app_opened"]  # anna's, 40 days ago
    assert people_old == []  # everyone joined today, after the period
    cira = exports.pseudonym(s.ids["cira"], await exports.pseudonym_key())
    assert [r["pseudonym"] for r in other["participants.csv"]] == [cira]
    assert {r["pseudonym"] for r in other["events.csv"]} == {cira}
    assert other["comments.csv"] == []
    assert {r["site"] for r in both} == {"other-site", "test-site"}
    assert json.loads(entries[-1]["detail"])["sites"] == ["other-site", "test-site"]
    assert json.loads(entries[0]["detail"])["period"] == f"{recent['from']}/{recent['to']}"


async def test_bad_input_is_a_400_page_with_a_message_and_nothing_is_written(researcher):
    await make_invite()
    bad_date = await download(researcher, "events.csv", **{"from": "2025-13-45"})
    backwards = await download(researcher, "events.csv", **{"from": "2025-06-01", "to": "2025-01-01"})
    unknown_site = await download(researcher, "events.csv", site="no-such-site")
    unknown_file = await download(researcher, "secrets.csv")
    no_file = await researcher.get(DOWNLOAD)
    for response, message in ((bad_date, "as dates, for example"), (backwards, "must not come after"),
                              (unknown_site, "There is no site called"), (unknown_file, "choose one of the files"),
                              (no_file, "choose one of the files")):
        assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
        assert message in response.text and 'role="alert"' in response.text
        assert "attachment" not in response.headers.get("content-disposition", "")
    assert 'value="2025-13-45"' in bad_date.text  # what she typed stays in the form
    assert await audit_entries() == []


@pytest.mark.parametrize(("role", "allowed"), [("editor", False), ("coordinator", False), ("researcher", True),
                                                ("admin", True)])
async def test_only_researchers_and_admins_may_export(actors, role, allowed):
    client = await actors.new(role)
    page = await client.get(PAGE)
    file = await download(client, "events.csv")
    assert (page.status_code, file.status_code) == ((200, 200) if allowed else (403, 403)), role
    home = await client.get("/workspace")
    assert (f'href="{PAGE}"' in home.text) == allowed
    assert len(await audit_entries()) == (1 if allowed else 0)  # the researcher's or the admin's download


@pytest.mark.parametrize("url", [PAGE, f"{DOWNLOAD}?file=events.csv"])
async def test_it_sends_an_outsider_to_the_login(outsider, url):
    response = await outsider.get(url)
    assert response.status_code == 303 and response.headers["location"].startswith("/workspace/login")
    assert await audit_entries() == []


async def _asgi_get(app, path: str, query: str, cookie: str) -> list[dict]:
    """Calls the app as a server would and keeps every message it sends: httpx's ASGI transport joins the body."""
    messages: list[dict] = []
    done = asyncio.Event()
    asked = False

    async def receive() -> dict:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"testserver"), (b"cookie", cookie.encode())],
             "client": (CLIENT_IP, 50000), "server": ("testserver", 80)}
    await app(scope, receive, send)
    return messages


async def test_a_large_file_is_streamed_a_page_at_a_time(app, actors, researcher):
    n = 5000
    participant_id = (await actors.patient()).participant_id
    now = datetime.now(UTC)
    rows = [Event(id=uuid.uuid4(), participant=participant_id, type="step_completed", occurred_at=now,
                  day=local(now).date(), received_at=now, step=i % 10, fingerprint="bulk") for i in range(n)]
    for i in range(0, n, 500):
        await Event.insert(*rows[i:i + 500])
    cookie = "; ".join(f"{k}={v}" for k, v in researcher.cookies.items())
    messages = await _asgi_get(app, DOWNLOAD, "file=events.csv", cookie)
    pieces = [c async for c in exports.stream(exports.FILES["events.csv"], exports.ExportRequest(
        today() - timedelta(days=1), today()))]

    start = next(m for m in messages if m["type"] == "http.response.start")
    assert start["status"] == 200
    bodies = [m["body"] for m in messages if m["type"] == "http.response.body" and m.get("body")]
    expected_pages = -(-n // exports.CHUNK)  # 5,000 rows in pages of 2,000: three
    assert len(bodies) >= expected_pages, f"the response came in {len(bodies)} piece(s)"
    assert len(pieces) == expected_pages
    text = b"".join(bodies).decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(text)))) == n
    assert sum(len(p) for p in pieces) == len(b"".join(bodies))
