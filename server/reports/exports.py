"""Research exports: the follow-up's records as pseudonymised CSV files, with a codebook.

What leaves the building:

- a person is only ever a **pseudonym**, a keyed hash of her participant id under a key of its own
  (``pseudonym_key``, stored once in the database and never changed, also when SECRET_KEY is), so exports
  made on different days, or years apart, join; no raw participant id, invite code, code hash, IP address
  or user agent is ever written;
- time only as a **day** in Copenhagen, never a time of day;
- a participant who withdrew and chose "delete" is left out of every file;
- rating comments (free text that could identify someone) only in ``comments.csv``, without a pseudonym,
  rating, day, site or exercise: only the quarter and the kind of exercise, and only for a (quarter, kind)
  with comments by at least five people (otherwise without the kind, if the quarter's rest has five; else
  not at all), so a comment cannot be matched with a rating row in ``events.csv`` or with a small group.

Each file is streamed: rows are read a page of ``CHUNK`` at a time by keyset (the primary key, so every
page is an index range and the whole export costs one pass), and each page is written as CSV text at
once. The CSV is UTF-8 with a byte order mark, comma-separated (see ``server.lib.spreadsheet``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec

from server.content.catalog import get_catalog
from server.content.schemas import Questionnaire, Resource, typed
from server.content.tables import ContentVersion
from server.engagement.tables import Event
from server.lib import errors
from server.lib.disclosure import MIN_PEOPLE
from server.lib.i18n import N_, _
from server.lib.localtime import local, start_of_day, today
from server.lib.signing import derived_key, digest_with
from server.lib.spreadsheet import BOM, csv_text
from server.participants.tables import CourseGroup, Participant, Site, Unit
from server.reports.tables import StoredKey

CHUNK = 2000  # rows per query and per piece of the response
PSEUDONYM_PURPOSE = "research-pseudonym"
MAX_SITES = 100


class ExportError(errors.Refused):
    """A message for people: why this export cannot be made as asked."""


@dataclass(frozen=True, slots=True)
class ExportRequest:
    start: date
    end: date
    sites: tuple[str, ...] = ()  # slugs; empty: every site
    site_ids: tuple[int, ...] = ()

    @property
    def period(self) -> str:
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # N_-marked, translated when the codebook is written
    meaning: str
    values: str = ""
    item: int | None = None  # responses.csv's item_N columns: N, for the meaning's %(n)s


@dataclass(frozen=True, slots=True)
class ExportFile:
    name: str
    summary: str  # N_-marked: what the file holds, for the page
    columns: tuple[Column, ...]


async def pseudonym_key() -> bytes:
    """The pseudonyms' own key, read from the database. It was stored once (by the migration that made its
    table, or here on a database without one) as the key pseudonyms had been made with until then, derived
    from SECRET_KEY, so no pseudonym changed when it moved; from then on it no longer follows SECRET_KEY."""
    row = await StoredKey.select(StoredKey.value).where(StoredKey.name == PSEUDONYM_PURPOSE).first()
    if row is None:
        await StoredKey.insert(StoredKey(name=PSEUDONYM_PURPOSE, value=derived_key(PSEUDONYM_PURPOSE).hex(),
                                         created_at=datetime.now(UTC))).on_conflict(action="DO NOTHING")
        row = await StoredKey.select(StoredKey.value).where(StoredKey.name == PSEUDONYM_PURPOSE).first()
    return bytes.fromhex(row["value"])


def pseudonym(participant_id: uuid.UUID | str, key: bytes) -> str:
    """"p" and 15 characters of the keyed hash under ``pseudonym_key()``: never starts like a spreadsheet
    formula, so it is written the same way in every file and program."""
    return "p" + digest_with(key, str(uuid.UUID(str(participant_id))), 15)


def default_period(until: date) -> tuple[date, date]:
    """The last twelve months, up to and including ``until``."""
    try:
        year_before = until.replace(year=until.year - 1)
    except ValueError:  # 29 February
        year_before = until.replace(year=until.year - 1, day=28)
    return year_before + timedelta(days=1), until


async def site_choices() -> list[dict[str, Any]]:
    return await Site.select(Site.id, Site.slug, Site.name).order_by(Site.name)


async def parse_request(start: str | None, end: str | None, sites: Sequence[str], *,
                        until: date | None = None) -> ExportRequest:
    """Reads the page's fields; raises ExportError with a message for people."""
    default_start, default_end = default_period(until or today())
    try:
        first = date.fromisoformat(start.strip()) if start and start.strip() else default_start
        last = date.fromisoformat(end.strip()) if end and end.strip() else default_end
    except ValueError:
        raise ExportError(_("Please give the first and last day of the period as dates, for example "
                            "2025-01-31.")) from None
    if first > last:
        raise ExportError(_("The first day of the period must not come after the last day."))
    wanted = sorted({s.strip() for s in sites if s.strip()})
    if len(wanted) > MAX_SITES:
        raise ExportError(_("Please choose fewer sites."))
    site_ids: tuple[int, ...] = ()
    if wanted:
        known = {r["slug"]: r["id"] for r in await Site.select(Site.id, Site.slug).where(Site.slug.is_in(wanted))}
        unknown = [s for s in wanted if s not in known]
        if unknown:
            raise ExportError(_("There is no site called “%(site)s”.", site=unknown[0][:60]))
        site_ids = tuple(known[s] for s in wanted)
    return ExportRequest(first, last, tuple(wanted), site_ids)


def download_name(file: ExportFile, request: ExportRequest) -> str:
    stem = file.name.rsplit(".", 1)[0]
    return f"pusterum-{stem}-{request.start.isoformat()}_{request.end.isoformat()}.csv"


# --- the files and their columns (the codebook is written from these) ---

TEXT, DAY, INTEGER = N_("text"), N_("date (YYYY-MM-DD)"), N_("whole number")
_PSEUDONYM = Column("pseudonym", TEXT, N_("The person's pseudonym: the same in every file and in every export "
                                         "from this installation."), N_("p and 15 letters, digits, - or _"))
_DAY = Column("day", DAY, N_("The day it happened on her phone, in Danish time (Europe/Copenhagen)."))
_CONTENT = Column("content", TEXT, N_("The exercise, questionnaire or e-learning lesson (its slug)."),
                  N_("a slug from content_versions.csv, or empty"))
_VERSION = Column("version", INTEGER, N_("The version of that exercise, questionnaire or lesson she used."),
                  N_("a version number from content_versions.csv, or empty"))
EVENT_TYPES = ("app_opened", "exercise_started", "step_completed", "exercise_completed", "exercise_left",
               "rating_given", "pause_completed", "reminder_sent", "reminder_opened", "questionnaire_answered",
               "lesson_completed", "check_answered")

PARTICIPANTS = ExportFile("participants.csv", N_(
    "One row per person who had joined by the last day of the period: how she came in (site, unit, "
    "course group), the language she chose, the municipality she lives in if she gave it, when she "
    "joined and, if she has stopped, when and what she chose. People who stopped and asked for their "
    "records to be deleted are not included."), (
    _PSEUDONYM,
    Column("kind", TEXT, N_("Patient (invited by the clinic), staff member (a unit's QR code) or partner (invited "
                            "by a patient; counted as a group of their own and never linked to her)."),
           "patient, staff, partner"),
    Column("site", TEXT, N_("The hospital or clinic she joined through (its slug)."), N_("a site slug")),
    Column("unit", TEXT, N_("The unit (staff members; patients only if the invite named one)."),
           N_("a unit slug, or empty")),
    Column("course_group", TEXT, N_("The course group (cohort) she joined."), N_("a course group slug, or empty")),
    Column("course", TEXT, N_("The course that group follows."), N_("a course slug, or empty")),
    Column("municipality", TEXT, N_("The municipality she lives in, if she chose to say."),
           N_("a four-digit Danish municipality code, or empty")),
    Column("language", TEXT, N_("The language she chose."), "da, en"),
    Column("enrolled_day", DAY, N_("The day she joined (gave consent).")),
    Column("consent_version", TEXT, N_("The version of the consent text she agreed to.")),
    Column("withdrawn_day", DAY, N_("The day she stopped taking part."), N_("a date, or empty")),
    Column("withdrawal", TEXT, N_("What she chose when she stopped: her records stay in the follow-up."),
           N_("keep, or empty")),
))

EVENTS = ExportFile("events.csv", N_(
    "One row per thing that happened in the app in the period: opening it, starting, finishing or "
    "leaving an exercise, each step, a rating (the number only), a staff pause with stress before and "
    "after, reminders and check-ins, and staff e-learning: lessons completed and knowledge-check answers. The day "
    "only, never the time of day; no comments."), (
    _PSEUDONYM, _DAY,
    Column("type", TEXT, N_("What happened."), ", ".join(EVENT_TYPES)),
    _CONTENT, _VERSION,
    Column("step", INTEGER, N_("step_completed: which step was finished (the first step is 0)."),
           N_("0 or more, or empty")),
    Column("seconds", INTEGER, N_("exercise_completed, exercise_left, pause_completed: seconds practised."),
           N_("seconds, or empty")),
    Column("rating", INTEGER, N_("rating_given: how helpful she found the exercise."), N_("1 to 5, or empty")),
    Column("score", INTEGER, N_("questionnaire_answered: the score, computed on the server (WHO-5: the sum "
                                "× 4). The answers are in responses.csv."), N_("WHO-5: 0 to 100, or empty")),
    Column("stress_before", INTEGER, N_("pause_completed: how stressed she felt before, if she said."),
           N_("0 (not at all) to 10, or empty")),
    Column("stress_after", INTEGER, N_("pause_completed: how stressed she felt after, if she said."),
           N_("0 (not at all) to 10, or empty")),
    Column("clock_suspect", TEXT, N_("Why the phone's clock, and so the day, may be wrong: corrected (the "
                                     "phone's clock was off and the time was moved), future, too_old."),
           N_("corrected, future, too_old, or empty")),
    # The staff e-learning course (issue 17): lesson_completed names the lesson version in content/version.
    Column("question", TEXT, N_("check_answered: the id of the knowledge-check question in that lesson version."),
           N_("an id such as q1, or empty")),
    Column("option", TEXT, N_("check_answered: the id of the option she chose."), N_("an id such as a, or empty")),
    Column("correct", INTEGER, N_("check_answered: whether the option was the right one, judged on the server."),
           N_("1 (right), 0 (wrong), or empty")),
))

_ITEM_MEANING = N_("The answer to item %(n)s of the questionnaire, as the score of the chosen option.")
RESPONSES = ExportFile("responses.csv", N_(
    "One row per questionnaire answered in the period (the WHO-5 check-in, the short app-satisfaction "
    "check): each item's answer and the score."), (
    _PSEUDONYM, _DAY,
    Column("questionnaire", TEXT, N_("The questionnaire (its slug)."), "who-5, app-satisfaction, …"),
    Column("version", INTEGER, N_("The version of the questionnaire she answered."),
           N_("a version number from content_versions.csv")),
    # item_1 … item_N are inserted here, N being the most items any questionnaire has.
    Column("score", INTEGER, N_("The score, computed on the server from the answers (WHO-5: the sum × 4)."),
           N_("WHO-5: 0 to 100")),
))

COMMENTS = ExportFile("comments.csv", N_(
    "The short comments people wrote with a rating, in the period, grouped by quarter and kind of exercise. "
    "Without a pseudonym, the rating, the day, the site or the exercise, and only where at least five people "
    "commented on that kind of exercise in the quarter (otherwise without the kind, where at least five "
    "commented on other kinds; otherwise not at all), so that free text, which could say who someone is, "
    "cannot be matched with a person's other records or with a small group. Read them with care and do not "
    "quote anything that could identify someone."), (
    Column("quarter", TEXT, N_("The quarter the comment was written in, in Danish time."), N_("YYYY-Qn")),
    Column("kind", TEXT, N_("The kind of exercise that was rated; empty where fewer than five people "
                            "commented on that kind in the quarter."), "mindfulness, pain_coping, micro_pause"),
    Column("comment", TEXT, N_("What she wrote, as written."), N_("up to 500 characters")),
))

CONTENT_VERSIONS = ExportFile("content_versions.csv", N_(
    "Every version of every exercise, course, resource, questionnaire, e-learning course and lesson: when it was "
    "made and published, and its title, so that the content and version columns of the other files can be read."), (
    Column("content", TEXT, N_("The slug of the exercise, course, resource or questionnaire.")),
    Column("kind", TEXT, N_("What kind of content it is."),
           "exercise, course, resource, questionnaire, elearning, lesson"),
    Column("version", INTEGER, N_("The version number (1, 2, …); a change adds a version.")),
    Column("created_day", DAY, N_("The day the version was made.")),
    Column("published_day", DAY, N_("The day the version was published."), N_("a date, or empty")),
    Column("title_da", TEXT, N_("The title in Danish.")),
    Column("title_en", TEXT, N_("The title in English.")),
))

CODEBOOK = ExportFile("codebook.csv", N_(
    "Every column of every file: what it means, its type, and the values it can hold, with notes on "
    "pseudonyms and dates."), (
    Column("file", TEXT, N_("The file the column is in; * for notes that concern every file.")),
    Column("column", TEXT, N_("The column's name, as in the file's first row.")),
    Column("type", TEXT, N_("text, date (YYYY-MM-DD) or whole number.")),
    Column("meaning", TEXT, N_("What the column holds.")),
    Column("values", TEXT, N_("The values it can take; empty means not known or not relevant for that row.")),
))

FILES: dict[str, ExportFile] = {f.name: f for f in (PARTICIPANTS, EVENTS, RESPONSES, COMMENTS, CONTENT_VERSIONS,
                                                    CODEBOOK)}
NOTES = (
    ("pseudonym", N_("A pseudonym is a keyed hash (HMAC-SHA-256) of the participant's internal id, under a key "
                     "the installation keeps for pseudonyms alone and never changes. It is the same in every file "
                     "and in every export from this installation, so exports from different days can be joined. "
                     "It cannot be turned back into the id without that key.")),
    ("day", N_("Times are given as days only (Danish time, Europe/Copenhagen), never as a time of day. A day "
               "comes from the phone's clock; see clock_suspect.")),
    ("", N_("The files are UTF-8 with a byte order mark, comma-separated, one header row. A text cell that "
            "begins with =, +, - or @ (also after spaces or invisible characters, or in a look-alike form such "
            "as the full-width ＝), or with a tab or a line break, is written with an apostrophe in front, so "
            "that a spreadsheet shows it instead of running it as a formula.")),
    ("", N_("Period: events, responses and comments from the first to the last day; participants who had "
            "joined by the last day. Sites: the site each person joined through.")),
)


# --- reading the rows, a page at a time ---

def _doc(data: Any) -> dict[str, Any]:
    return json.loads(data) if isinstance(data, str) else data


def _day(moment: datetime | None) -> date | None:
    return local(moment).date() if moment else None


def _kept(withdrawal: Any) -> Any:
    """Not withdrawn, or withdrawn with her records kept (NULL <> 'delete' is not true in SQL)."""
    return withdrawal.is_null() | (withdrawal != "delete")


async def _version_labels() -> dict[int, tuple[str, int]]:
    """Content version id -> (slug, number): a few hundred rows, read once per export."""
    rows = await ContentVersion.select(ContentVersion.id, ContentVersion.item.slug, ContentVersion.number)
    return {r["id"]: (r["item.slug"], r["number"]) for r in rows}


async def questionnaire_items() -> int:
    """The most items any questionnaire version has: responses.csv has that many item columns."""
    rows = await ContentVersion.select(ContentVersion.data).where(ContentVersion.item.kind == "questionnaire")
    return max((len(msgspec.convert(_doc(r["data"]), Questionnaire).items) for r in rows), default=0)


async def _pages(query: Any, key: Any) -> AsyncIterator[list[dict[str, Any]]]:
    """Keyset paging over the primary key ``key``: ``query(after)`` gives the next page's query."""
    after = None
    while True:
        rows = await query(after).order_by(key).limit(CHUNK)
        if not rows:
            return
        yield rows
        if len(rows) < CHUNK:
            return
        after = rows[-1][key._meta.name]


def _events(request: ExportRequest, *columns: Any, where: Sequence[Any] = ()) -> Any:
    def query(after: Any) -> Any:
        q = Event.select(Event.id, Event.participant, Event.day, *columns).where(
            Event.day >= request.start, Event.day <= request.end, _kept(Event.participant.withdrawal), *where)
        if request.site_ids:
            q = q.where(Event.participant.site.is_in(list(request.site_ids)))
        if after is not None:
            q = q.where(Event.id > after)
        return q
    return _pages(query, Event.id)


class _Pseudonyms(dict):
    def __init__(self, key: bytes) -> None:
        super().__init__()
        self.key = key

    def __missing__(self, participant_id: Any) -> str:
        value = self[participant_id] = pseudonym(participant_id, self.key)
        return value


async def _participant_rows(request: ExportRequest) -> AsyncIterator[list[list[Any]]]:
    sites = {r["id"]: r["slug"] for r in await Site.select(Site.id, Site.slug)}
    units = {r["id"]: r["slug"] for r in await Unit.select(Unit.id, Unit.slug)}
    groups = {r["id"]: (r["slug"], r["course_slug"]) for r in await CourseGroup.select(
        CourseGroup.id, CourseGroup.slug, CourseGroup.course_slug)}

    def query(after: Any) -> Any:
        q = Participant.select(
            Participant.id, Participant.kind, Participant.site, Participant.unit, Participant.course_group,
            Participant.municipality_code, Participant.language, Participant.created_at,
            Participant.consent_version, Participant.withdrawn_at, Participant.withdrawal,
        ).where(Participant.created_at < start_of_day(request.end + timedelta(days=1)),
                _kept(Participant.withdrawal))
        if request.site_ids:
            q = q.where(Participant.site.is_in(list(request.site_ids)))
        if after is not None:
            q = q.where(Participant.id > after)
        return q

    key = await pseudonym_key()
    async for page in _pages(query, Participant.id):
        rows = []
        for r in page:
            group, course = groups.get(r["course_group"], (None, None))
            rows.append([pseudonym(r["id"], key), r["kind"], sites.get(r["site"]), units.get(r["unit"]), group, course,
                         r["municipality_code"], r["language"], _day(r["created_at"]), r["consent_version"],
                         _day(r["withdrawn_at"]), r["withdrawal"]])
        yield rows


async def _event_rows(request: ExportRequest) -> AsyncIterator[list[list[Any]]]:
    versions, names = await _version_labels(), _Pseudonyms(await pseudonym_key())
    async for page in _events(request, Event.type, Event.content_version, Event.step, Event.seconds, Event.rating,
                              Event.score, Event.stress_before, Event.stress_after, Event.clock_suspect,
                              Event.check_question, Event.check_option, Event.correct):
        rows = []
        for r in page:
            slug, number = versions.get(r["content_version"], (None, None))
            rows.append([names[r["participant"]], r["day"], r["type"], slug, number, r["step"], r["seconds"],
                         r["rating"], r["score"], r["stress_before"], r["stress_after"], r["clock_suspect"],
                         r["check_question"], r["check_option"], None if r["correct"] is None else int(r["correct"])])
        yield rows


async def _response_rows(request: ExportRequest) -> AsyncIterator[list[list[Any]]]:
    versions, names, items = await _version_labels(), _Pseudonyms(await pseudonym_key()), await questionnaire_items()
    async for page in _events(request, Event.content_version, Event.answers, Event.score,
                              where=[Event.type == "questionnaire_answered"]):
        rows = []
        for r in page:
            slug, number = versions.get(r["content_version"], (None, None))
            cells = (json.loads(r["answers"] or "[]") + [None] * items)[:items]
            rows.append([names[r["participant"]], r["day"], slug, number, *cells, r["score"]])
        yield rows


@dataclass(frozen=True, slots=True)
class Comment:
    person: Any
    quarter: str  # "2026-Q3"
    kind: str  # the exercise's kind ("" when it is not known)
    text: str


def releasable(comments: Sequence[Comment]) -> list[list[str]]:
    """Rows for comments.csv: a (quarter, kind) with comments by at least MIN_PEOPLE people keeps its kind;
    the quarter's other comments are released without a kind if they too come from at least MIN_PEOPLE
    people; the rest stay in the database. Sorted by their words, so the order says nothing either."""
    cells: dict[tuple[str, str], list[Comment]] = {}
    for comment in comments:
        cells.setdefault((comment.quarter, comment.kind), []).append(comment)
    rows: list[list[str]] = []
    rest: dict[str, list[Comment]] = {}
    for (quarter, kind), found in cells.items():
        if kind and len({c.person for c in found}) >= MIN_PEOPLE:
            rows.extend([quarter, kind, c.text] for c in found)
        else:
            rest.setdefault(quarter, []).extend(found)
    for quarter, found in rest.items():
        if len({c.person for c in found}) >= MIN_PEOPLE:
            rows.extend([quarter, "", c.text] for c in found)
    return sorted(rows)


async def _comment_rows(request: ExportRequest) -> AsyncIterator[list[list[Any]]]:
    """Comments are few (a short text with some ratings): all of the period's are read, then released by
    ``releasable``."""
    versions = await _version_labels()
    catalog = get_catalog()
    comments = []
    async for page in _events(request, Event.content_version, Event.comment,
                              where=[Event.type == "rating_given", Event.comment.is_not_null(), Event.comment != ""]):
        for r in page:
            day = date.fromisoformat(str(r["day"])[:10])
            exercise = catalog.exercises.get(versions.get(r["content_version"], ("", 0))[0])
            comments.append(Comment(r["participant"], f"{day.year}-Q{(day.month - 1) // 3 + 1}",
                                    exercise.kind if exercise else "", r["comment"]))
    yield releasable(comments)


async def _content_version_rows(_request: ExportRequest) -> AsyncIterator[list[list[Any]]]:
    def query(after: Any) -> Any:
        q = ContentVersion.select(ContentVersion.id, ContentVersion.item.kind, ContentVersion.item.slug,
                                  ContentVersion.number, ContentVersion.created_at, ContentVersion.published_at,
                                  ContentVersion.data)
        return q if after is None else q.where(ContentVersion.id > after)

    async for page in _pages(query, ContentVersion.id):
        rows = []
        for r in page:
            document = typed(r["item.kind"], _doc(r["data"]))
            title = document.name if isinstance(document, Resource) else document.title
            rows.append([r["item.slug"], r["item.kind"], r["number"], _day(r["created_at"]),
                         _day(r["published_at"]), title.get("da"), title.get("en")])
        yield rows


async def _codebook_rows(_request: ExportRequest) -> AsyncIterator[list[list[Any]]]:
    rows: list[list[Any]] = [["*", column, "", _(note), ""] for column, note in NOTES]
    for file in FILES.values():
        columns = await columns_of(file)
        rows.extend([file.name, c.name, _(c.type), _(c.meaning, n=c.item) if c.item else _(c.meaning),
                     _(c.values) if c.values else ""] for c in columns)
    yield rows


_ROWS = {"participants.csv": _participant_rows, "events.csv": _event_rows, "responses.csv": _response_rows,
         "comments.csv": _comment_rows, "content_versions.csv": _content_version_rows,
         "codebook.csv": _codebook_rows}


async def columns_of(file: ExportFile) -> tuple[Column, ...]:
    if file is not RESPONSES:
        return file.columns
    n = await questionnaire_items()
    items = tuple(Column(f"item_{k}", INTEGER, _ITEM_MEANING, N_("WHO-5: 0 to 5; empty when the questionnaire has "
                                                                   "fewer items"), item=k) for k in range(1, n + 1))
    return (*file.columns[:-1], *items, file.columns[-1])


async def stream(file: ExportFile, request: ExportRequest) -> AsyncIterator[bytes]:
    """The file as CSV, one piece per page of rows: the byte order mark and the header come with the first."""
    pending = BOM + csv_text([[c.name for c in await columns_of(file)]])
    async for rows in _ROWS[file.name](request):
        yield (pending + csv_text(rows)).encode()
        pending = ""
    if pending:
        yield pending.encode()

