"""Validation of content documents: every problem, not just the first.

The same functions check files in ``content/`` and what an editor saves, so the rules live in one
place. Reasons are in the current language: English for the command line, the editor's own in the
workspace. Each returns the document as its Struct (``schemas.py``), or ``None`` when there are
problems, and a list of ``Problem(field, reason)``; a document with problems must not be stored.

The fields a file may hold are read from those Structs, so a field is added in one place; the checker
still judges each one, and the normalised result is converted to its Struct once, at the end.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlparse

import msgspec

from server.content.schemas import (
    AUDIENCES,
    COUNTRY,
    ITEM_ID_RE,
    KINDS,
    LIMITS,
    NEVER_HIDDEN,
    PHONE_RE,
    POSITIONS,
    RESOURCE_AUDIENCES,
    RESOURCE_KINDS,
    REVIEW_STATES,
    SITE_PHONES,
    SLUG_RE,
    TAGS,
    Breathing,
    Case,
    CaseOption,
    CheckOption,
    CheckQuestion,
    Course,
    ElearningCourse,
    Exercise,
    Lesson,
    Option,
    Questionnaire,
    Resource,
    Scoring,
    Section,
    Source,
    Step,
    Week,
)
from server.lib.i18n import _
from server.lib.localtime import today
from server.participants.municipalities import municipalities, regions
from server.settings import LANGUAGES


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


@dataclass
class _Checker:
    """Walks a mapping field by field, recording problems instead of raising."""

    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    def fail(self, name: str, reason: str) -> None:
        self.problems.append(Problem(name, reason))

    def unknown_fields(self, allowed: set[str], where: str = "", data: dict | None = None) -> None:
        for key in (data if data is not None else self.data):
            if key not in allowed:
                self.fail(f"{where}{key}", _("unknown field (check the spelling; see content/README.md)"))

    def text(self, name: str, limit: int, *, required: bool = True, where: str = "",
             data: dict | None = None, min_len: int = 1) -> dict[str, str] | None:
        """A field holding ``{da: ..., en: ...}`` plain text."""
        source = self.data if data is None else data
        value = source.get(name)
        label = f"{where}{name}"
        if value is None:
            if required:
                self.fail(label, _("missing (needs both da and en)"))
            return None
        if not isinstance(value, dict):
            self.fail(label, _("must be a mapping with da and en"))
            return None
        out: dict[str, str] = {}
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.fail(f"{label}.{lang}", _("missing translation") if text is None else _("must be text"))
                continue
            text = " ".join(text.split()) if limit <= LIMITS["step"] else text.strip()
            if len(text) > limit:
                self.fail(f"{label}.{lang}", _("too long (%(n)d characters, at most %(limit)d)", n=len(text),
                                               limit=limit))
            elif len(text) < min_len:
                self.fail(f"{label}.{lang}", _("too short (at least %(n)d characters)", n=min_len))
            out[lang] = text
        for lang in value:
            if lang not in LANGUAGES:
                self.fail(f"{label}.{lang}", _("unknown language (use %(languages)s)", languages=" / ".join(LANGUAGES)))
        return out if len(out) == len(LANGUAGES) else None

    def integer(self, name: str, low: int, high: int, *, required: bool = True, where: str = "",
                data: dict | None = None, default: int | None = None) -> int | None:
        source = self.data if data is None else data
        value = source.get(name, default)
        label = f"{where}{name}"
        if value is None:
            if required:
                self.fail(label, _("missing"))
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(label, _("must be a whole number"))
            return None
        if not low <= value <= high:
            self.fail(label, _("must lie between %(low)d and %(high)d (got %(value)d)", low=low, high=high,
                               value=value))
            return None
        return value

    def choices(self, name: str, allowed, *, required: bool = True, min_items: int = 1) -> list[str]:
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(name, _("missing"))
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.fail(name, _("must be a list"))
            return []
        out = []
        for item in value:
            if item not in allowed:
                self.fail(name, _("unknown value %(value)r (allowed: %(allowed)s)", value=item,
                                  allowed=", ".join(sorted(allowed))))
            elif item not in out:
                out.append(item)
        if required and len(out) < min_items:
            self.fail(name, _("needs at least %(n)d value", n=min_items))
        return out


def _fields(shape: type[msgspec.Struct], *, without: tuple[str, ...] = ("slug",), plus: tuple[str, ...] = ()
            ) -> set[str]:
    """The fields a file may write: the Struct's, less those that do not come from the file's fields (the
    slug is the file name, an exercise's body its Markdown), plus any spelled otherwise (a step's ``da``
    and ``en`` become its ``text``)."""
    return (set(shape.__struct_fields__) - set(without)) | set(plus)


# --- the review marks every content kind shares (see server/content/review.py) ---

def review_state(c: _Checker) -> str | None:
    """A document's top-level ``review``: absent, or ``awaiting`` (imported, shown to no participant until an
    editor publishes it after the review). Every kind but questionnaires calls this once."""
    value = c.data.get("review")
    if value is None:
        return None
    if value not in REVIEW_STATES:
        c.fail("review", _("the only value is 'awaiting' (leave the field out once the content is reviewed)"))
        return None
    return value


def check_marks(c: _Checker, where: str = "", data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``verify`` and ``confirmed_on`` at one place of a document (``where`` is its path for the messages,
    e.g. ``"sections[2]."``; ``data`` the mapping there, the document itself by default). Returns the two
    fields as stored: ``{"verify": bool, "confirmed_on": "YYYY-MM-DD" | None}``; splice them into the
    mapping given to ``msgspec.convert``, whose Struct declares them as ``verify: bool = False`` and
    ``confirmed_on: str | None = None``."""
    source = c.data if data is None else data
    verify = source.get("verify", False)
    if not isinstance(verify, bool):
        c.fail(f"{where}verify", _("must be true or false"))
        verify = False
    confirmed = source.get("confirmed_on")
    if confirmed is None:
        return {"verify": verify, "confirmed_on": None}
    day = confirmed_date(confirmed)
    if day is None:
        c.fail(f"{where}confirmed_on", _("must be a date written YYYY-MM-DD"))
    elif day > today():
        c.fail(f"{where}confirmed_on", _("lies in the future: give the day it was checked"))
    elif not verify:
        c.fail(f"{where}confirmed_on", _("only together with verify: true"))
    return {"verify": verify, "confirmed_on": day.isoformat() if day else None}


def confirmed_on_problem(value: Any) -> str | None:
    """Why a date typed in the workspace cannot be a ``confirmed_on`` (``None`` if it can): the same rule as a
    file's, in the reader's language."""
    day = confirmed_date(value)
    if day is None:
        return _("must be a date written YYYY-MM-DD")
    if day > today():
        return _("lies in the future: give the day it was checked")
    return None


def confirmed_date(value: Any) -> date | None:
    """A real calendar date from YAML (which reads ``2026-12-01`` as a date) or from text, or ``None``."""
    if isinstance(value, date):
        return value if not hasattr(value, "hour") else None  # a timestamp is not a day
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _check_slug(slug: str, problems: list[Problem]) -> None:
    if not SLUG_RE.match(slug):
        problems.append(Problem("slug", _("use 3–60 lowercase letters, digits and '-' (from the file name)")))


def validate_exercise(slug: str, meta: dict[str, Any], body: dict[str, str]) -> tuple[Exercise | None,
                                                                                    list[Problem]]:
    c = _Checker(meta)
    _check_slug(slug, c.problems)
    c.unknown_fields(_fields(Exercise, without=("slug", "body")))
    kind = meta.get("kind")
    if kind not in KINDS:
        c.fail("kind", _("must be one of %(values)s", values=", ".join(KINDS)))
    audience = c.choices("audience", AUDIENCES)
    minutes = c.integer("minutes", 1, 60)
    tags = c.choices("tags", TAGS, required=False)
    position = c.choices("position", POSITIONS, required=False)
    eyes_open_ok = meta.get("eyes_open_ok", True)
    if not isinstance(eyes_open_ok, bool):
        c.fail("eyes_open_ok", _("must be true or false"))
    audio = meta.get("audio")
    if audio is not None and (not isinstance(audio, str) or "/" in audio or not audio.strip()):
        c.fail("audio", _("must be a file name under content/audio/"))
    title = c.text("title", LIMITS["title"])
    summary = c.text("summary", LIMITS["summary"])
    why = c.text("why", LIMITS["why"], required=False)
    contact_if = _contact_if(c, required=kind == "pain_coping")
    steps = _steps(c)
    if minutes and steps:
        total = sum(s["seconds"] for s in steps)
        if not 0.6 * minutes * 60 <= total <= 1.4 * minutes * 60:
            c.fail("steps", _("the steps last %(total)d s, which does not fit %(minutes)d minutes "
                              "(allowed %(low)d–%(high)d s)", total=total, minutes=minutes,
                              low=round(0.6 * minutes * 60), high=round(1.4 * minutes * 60)))
    for lang in LANGUAGES:
        text = body.get(lang, "").strip()
        if not text:
            c.fail(f"body.{lang}", _("missing (a '<!-- %(lang)s -->' section with a short introduction)", lang=lang))
        elif len(text) > LIMITS["body"]:
            c.fail(f"body.{lang}", _("too long (%(n)d characters, at most %(limit)d)", n=len(text),
                                     limit=LIMITS["body"]))
    marks = check_marks(c)
    review = review_state(c)
    if c.problems:
        return None, c.problems
    return msgspec.convert({
        "slug": slug, "kind": kind, "audience": audience, "minutes": minutes, "tags": tags,
        "position": position, "eyes_open_ok": eyes_open_ok, "audio": audio, "title": title,
        "summary": summary, "why": why, "contact_if": contact_if, "steps": steps,
        "body": {lang: body[lang].strip() for lang in LANGUAGES}, **marks, "review": review,
    }, Exercise), []


def _contact_if(c: _Checker, *, required: bool) -> dict[str, list[str]] | None:
    value = c.data.get("contact_if")
    if value is None:
        if required:
            c.fail("contact_if", _("pain-coping modules need a 'contact us if' list in da and en"))
        return None
    if not isinstance(value, dict):
        c.fail("contact_if", _("must be a mapping with da and en lists"))
        return None
    out: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        items = value.get(lang)
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            c.fail(f"contact_if.{lang}", _("must be a list of 2–10 short items"))
            continue
        bad = [i for i in items if not isinstance(i, str) or not i.strip()
               or len(i) > LIMITS["contact_item"]]
        if bad:
            c.fail(f"contact_if.{lang}", _("each item must be text of at most %(n)d characters",
                                           n=LIMITS["contact_item"]))
            continue
        out[lang] = [" ".join(i.split()) for i in items]
    if len(out) == 2 and len(out["da"]) != len(out["en"]):
        c.fail("contact_if", _("da and en must have the same number of items"))
    return out if len(out) == len(LANGUAGES) else None


def _steps(c: _Checker) -> list[dict]:
    raw = c.data.get("steps")
    if not isinstance(raw, list) or not 2 <= len(raw) <= 40:
        c.fail("steps", _("must be a list of 2–40 steps"))
        return []
    steps = []
    for i, step in enumerate(raw):
        where = f"steps[{i + 1}]."
        if not isinstance(step, dict):
            c.fail(f"steps[{i + 1}]", _("must be a mapping with seconds, da and en"))
            continue
        c.unknown_fields(_fields(Step, without=("text",), plus=LANGUAGES), where, step)
        seconds = c.integer("seconds", 5, 1800, where=where, data=step)
        # A step holds its languages directly (steps[n].da), so the text field has no name of its own.
        text = c.text("", LIMITS["step"], data={"": {k: step.get(k) for k in LANGUAGES}},
                      where=where.rstrip("."))
        breathing = _breathing(c, step.get("breathing"), where)
        if seconds and text:
            steps.append({"seconds": seconds, "text": text, "breathing": breathing})
    return steps if len(steps) == len(raw) else []


def _breathing(c: _Checker, value: Any, where: str) -> dict[str, int] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        c.fail(f"{where}breathing", _("must be a mapping with inhale, hold and exhale seconds"))
        return None
    c.unknown_fields(_fields(Breathing), f"{where}breathing.", value)
    inhale = c.integer("inhale", 2, 8, where=f"{where}breathing.", data=value)
    # Pregnancy safety: never a long breath hold (see the content guide).
    hold = c.integer("hold", 0, 4, where=f"{where}breathing.", data=value, default=0)
    exhale = c.integer("exhale", 2, 8, where=f"{where}breathing.", data=value)
    hold_after = c.integer("hold_after", 0, 4, where=f"{where}breathing.", data=value, default=0)
    if None in (inhale, hold, exhale, hold_after):
        return None
    return {"inhale": inhale, "hold": hold, "exhale": exhale, "hold_after": hold_after}


def validate_course(slug: str, data: dict[str, Any]) -> tuple[Course | None, list[Problem]]:
    c = _Checker(data)
    _check_slug(slug, c.problems)
    c.unknown_fields(_fields(Course))
    title = c.text("title", LIMITS["title"] + 20)
    summary = c.text("summary", LIMITS["summary"] + 80)
    raw_weeks = data.get("weeks")
    weeks = []
    if not isinstance(raw_weeks, list) or not 1 <= len(raw_weeks) <= 12:
        c.fail("weeks", _("must be a list of 1–12 weeks"))
        raw_weeks = []
    for i, week in enumerate(raw_weeks):
        where = f"weeks[{i + 1}]."
        if not isinstance(week, dict):
            c.fail(f"weeks[{i + 1}]", _("must be a mapping"))
            continue
        c.unknown_fields(_fields(Week), where, week)
        number = c.integer("number", 1, 12, where=where, data=week)
        if number is not None and number != i + 1:
            c.fail(f"{where}number", _("weeks must be numbered in order (expected %(n)d)", n=i + 1))
        theme = c.text("theme", LIMITS["theme"], where=where, data=week)
        intro = c.text("intro", LIMITS["intro"], where=where, data=week)
        practices = week.get("practices")
        if (not isinstance(practices, list) or not 1 <= len(practices) <= 4
                or not all(isinstance(p, str) for p in practices)):
            c.fail(f"{where}practices", _("must be a list of 1–4 exercise slugs"))
            practices = []
        weeks.append({"number": number, "theme": theme, "intro": intro, "practices": practices})
    review = review_state(c)
    if c.problems:
        return None, c.problems
    return msgspec.convert({"slug": slug, "title": title, "summary": summary, "weeks": weeks, "review": review},
                           Course), []


def _places(c: _Checker) -> dict[str, Any] | None:
    """``serves``: ``{country: DK}``, ``{regions: ["1084"]}`` or ``{municipalities: ["0101", …]}`` (codes
    from the list of municipalities the app keeps). Each code is checked, so a typo is not a resource
    that silently reaches no one."""
    value = c.data.get("serves")
    if not isinstance(value, dict):
        c.fail("serves", _("missing: say where it serves, e.g. {country: DK} or {regions: [\"1084\"]}"))
        return None
    c.unknown_fields({"country", "regions", "municipalities"}, "serves.", value)
    country = value.get("country")
    if country is not None and country != COUNTRY:
        c.fail("serves.country", _("only %(country)s is known", country=COUNTRY))
    found: dict[str, list[str]] = {}
    for name, known in (("regions", regions()), ("municipalities", municipalities())):
        codes = value.get(name) or []
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list):
            c.fail(f"serves.{name}", _("must be a list of codes"))
            codes = []
        found[name] = []
        for code in map(str, codes):
            if code in found[name]:
                continue
            if code in known:
                found[name].append(code)
            elif name == "regions":
                c.fail("serves.regions", _("unknown region code %(code)r (known: %(known)s)", code=code,
                                           known=", ".join(f"{k} {v}" for k, v in known.items())))
            else:
                c.fail("serves.municipalities", _("unknown municipality code %(code)r (see the four-digit codes in "
                                                  "server/participants/municipalities.csv)", code=code))
    if sum(1 for given in (country, found["regions"], found["municipalities"]) if given) != 1:
        c.fail("serves", _("give exactly one of country, regions or municipalities"))
    return {"country": country, "regions": found["regions"], "municipalities": found["municipalities"]}


def validate_resource(slug: str, data: dict[str, Any]) -> tuple[Resource | None, list[Problem]]:
    c = _Checker(data)
    _check_slug(slug, c.problems)
    c.unknown_fields(_fields(Resource))
    kind = data.get("kind")
    if kind not in RESOURCE_KINDS:
        c.fail("kind", _("unknown kind %(value)r (allowed: %(allowed)s)", value=kind,
                         allowed=", ".join(RESOURCE_KINDS)))
    audience = c.choices("audience", RESOURCE_AUDIENCES)
    serves = _places(c)
    order = c.integer("order", 0, 1000, default=100)
    name = c.text("name", LIMITS["name"])
    description = c.text("description", LIMITS["description"])
    hours = c.text("hours", LIMITS["hours"], required=False)
    phone = data.get("phone")
    if phone is not None:
        phone = str(phone).strip()
        if not PHONE_RE.match(phone):
            c.fail("phone", _("digits and spaces only, optionally starting with +45"))
    site_phone = data.get("site_phone")
    if site_phone is not None and site_phone not in SITE_PHONES:
        c.fail("site_phone", _("unknown value %(value)r (allowed: %(allowed)s)", value=site_phone,
                               allowed=", ".join(SITE_PHONES)))
    if site_phone is not None and phone is not None:
        c.fail("site_phone", _("give either a phone number or the site's number, not both"))
    if kind in NEVER_HIDDEN and phone is None:
        c.fail("phone", _("an emergency or crisis line needs its phone number"))
    url = data.get("url")
    if url is not None and (not isinstance(url, str) or urlparse(url).scheme != "https"
                            or not urlparse(url).netloc):
        c.fail("url", _("must be a full https:// address"))
    marks = check_marks(c)
    review = review_state(c)
    if c.problems:
        return None, c.problems
    return msgspec.convert({"slug": slug, "kind": kind, "audience": audience, "serves": serves, "order": order,
                            "name": name, "description": description, "hours": hours, "phone": phone,
                            "site_phone": site_phone, "url": url, **marks, "review": review}, Resource), []


def validate_references(exercises: Mapping[str, Exercise], courses: Mapping[str, Course]
                        ) -> list[tuple[str, Problem]]:
    """Cross-document rules: a course may only name patient exercises that exist."""
    problems = []
    for slug, course in courses.items():
        for week in course.weeks:
            for practice in week.practices:
                exercise = exercises.get(practice)
                where = f"weeks[{week.number}].practices"
                if exercise is None:
                    problems.append((slug, Problem(where, _("no exercise named %(slug)r", slug=practice))))
                elif "patient" not in exercise.audience:
                    problems.append((slug, Problem(where, _("%(slug)r is not for patients", slug=practice))))
    return problems


def validate_questionnaire(slug: str, data: dict[str, Any]) -> tuple[Questionnaire | None, list[Problem]]:
    """A questionnaire (e.g. WHO-5): published wording is kept verbatim, so nothing here rewrites text."""
    c = _Checker(data)
    _check_slug(slug, c.problems)
    c.unknown_fields(_fields(Questionnaire))
    title = c.text("title", LIMITS["name"])
    instruction = c.text("instruction", LIMITS["description"] + 100)
    attribution = c.text("attribution", LIMITS["why"])
    raw_items = data.get("items")
    items = []
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= 40:
        c.fail("items", _("must be a list of 1–40 statements"))
        raw_items = []
    for i, item in enumerate(raw_items):
        key = f"{i + 1}]"  # so a problem reads "items[3].en: ..."
        text = c.text(key, 300, data={key: item}, where="items[")
        if text:
            items.append(text)
    raw_options = data.get("options")
    options = []
    if not isinstance(raw_options, list) or not 2 <= len(raw_options) <= 11:
        c.fail("options", _("must be a list of 2–11 answers"))
        raw_options = []
    for i, option in enumerate(raw_options):
        where = f"options[{i + 1}]."
        if not isinstance(option, dict):
            c.fail(f"options[{i + 1}]", _("must be a mapping with score, da and en"))
            continue
        c.unknown_fields(_fields(Option, without=("text",), plus=LANGUAGES), where, option)
        score = c.integer("score", 0, 10, where=where, data=option)
        text = c.text("", 80, data={"": {k: option.get(k) for k in LANGUAGES}}, where=where.rstrip("."))
        if score is not None and text:
            options.append({"score": score, "text": text})
    scores = [o["score"] for o in options]
    if len(set(scores)) != len(scores):
        c.fail("options", _("each answer needs its own score"))
    scoring = data.get("scoring")
    if not isinstance(scoring, dict):
        c.fail("scoring", _("must be a mapping"))
        scoring = {}
    c.unknown_fields(_fields(Scoring), "scoring.", scoring)
    rules = {name: c.integer(name, 0, 100, where="scoring.", data=scoring, default=default,
                             required=default is not None)
             for name, default in (("multiplier", 1), ("support_at_or_below", None),
                                   ("support_if_any_item_at_or_below", None), ("meaningful_change", None))}
    if c.problems:
        return None, c.problems
    return msgspec.convert({"slug": slug, "title": title, "instruction": instruction, "items": items,
                            "options": options, "scoring": rules, "attribution": attribution}, Questionnaire), []


# --- the staff e-learning course (issue 17; the format is content/README.md's "E-learning") ---

LEARNING_LIMITS = {"course_title": 80, "title": 60, "summary": 160, "intro": 1200, "heading": 80, "body": 1500,
                   "situation": 600, "question": 200, "option": 200, "feedback": 500, "explanation": 400,
                   "source": 200}
MAX_LESSONS = 8  # a course in content/ must have 5-8 (tests/unit/test_elearning_content.py); 1-8 here
# Markdown or HTML in a field shown as plain text: a tag, a link, emphasis or a heading mark.
_MARKUP = re.compile(r"<[a-zA-Z/!]|\]\(|\*\*|__|(^|\n)\s*#|`")


def _plain(c: _Checker, name: str, limit: int, *, where: str = "", data: dict | None = None) -> dict[str, str] | None:
    """A ``{da, en}`` text shown as written: no Markdown or HTML."""
    text = c.text(name, limit, where=where, data=data)
    for lang, value in (text or {}).items():
        if _MARKUP.search(value):
            c.fail(f"{where}{name}.{lang}", _("plain text only: no Markdown or HTML"))
    return text


def _list(c: _Checker, name: str, low: int, high: int, what: str, data: dict | None = None,
          where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """The mappings of a list field with their labels (``cases[2].``); a wrong count is one problem."""
    raw = (c.data if data is None else data).get(name)
    if not isinstance(raw, list) or not low <= len(raw) <= high:
        c.fail(f"{where}{name}", _("must be a list of %(low)d–%(high)d %(what)s", low=low, high=high, what=what))
        return []
    out = []
    for i, item in enumerate(raw):
        label = f"{where}{name}[{i + 1}]"
        if isinstance(item, dict):
            out.append((f"{label}.", item))
        else:
            c.fail(label, _("must be a mapping"))
    return out


def _item_id(c: _Checker, where: str, data: dict, seen: set[str]) -> str | None:
    value = data.get("id")
    if not isinstance(value, str) or not ITEM_ID_RE.match(value):
        c.fail(f"{where}id", _("use 1–20 lowercase letters, digits and '-'"))
        return None
    if value in seen:
        c.fail(f"{where}id", _("%(id)r is used twice in this list", id=value))
    seen.add(value)
    return value


def _choices(c: _Checker, where: str, data: dict, mark: str, shape: type) -> list[dict[str, Any]]:
    """A case's or a question's 2-4 options, exactly one of them marked ``mark`` (best / correct)."""
    options, seen = [], set()
    fields = _fields(shape, without=())
    for label, raw in _list(c, "options", 2, 4, _("options"), data=data, where=where):
        c.unknown_fields(fields, label, raw)
        option = {"id": _item_id(c, label, raw, seen), "text": _plain(c, "text", LEARNING_LIMITS["option"],
                                                                          where=label, data=raw)}
        if "feedback" in fields:
            option["feedback"] = _plain(c, "feedback", LEARNING_LIMITS["feedback"], where=label, data=raw)
        value = raw.get(mark, False)
        if not isinstance(value, bool):
            c.fail(f"{label}{mark}", _("must be true or false"))
        option[mark] = value is True
        options.append(option)
    if options and sum(o[mark] for o in options) != 1:
        c.fail(f"{where}options", _("exactly one option must be marked %(mark)s: true", mark=mark))
    return options


def validate_elearning(slug: str, data: dict[str, Any]) -> tuple[ElearningCourse | None, list[Problem]]:
    """An e-learning course for staff: its title, intro and lessons (1-8 slugs, in order)."""
    c = _Checker(data)
    _check_slug(slug, c.problems)
    c.unknown_fields(_fields(ElearningCourse))
    review = review_state(c)
    audience = c.choices("audience", AUDIENCES)
    title = _plain(c, "title", LEARNING_LIMITS["course_title"])
    summary = _plain(c, "summary", LEARNING_LIMITS["summary"])
    intro = c.text("intro", LEARNING_LIMITS["intro"])
    lessons = data.get("lessons")
    if (not isinstance(lessons, list) or not 1 <= len(lessons) <= MAX_LESSONS
            or not all(isinstance(s, str) and SLUG_RE.match(s) for s in lessons)):
        c.fail("lessons", _("must be a list of 1–%(n)d lesson slugs", n=MAX_LESSONS))
        lessons = []
    elif len(set(lessons)) != len(lessons):
        c.fail("lessons", _("a lesson is named twice"))
    if c.problems:
        return None, c.problems
    return msgspec.convert({"slug": slug, "review": review, "audience": audience, "title": title,
                            "summary": summary, "intro": intro, "lessons": lessons}, ElearningCourse), []


def validate_lesson(slug: str, data: dict[str, Any]) -> tuple[Lesson | None, list[Problem]]:
    """One lesson: sections to read, cases with feedback, a knowledge check and the sources it is built on."""
    c = _Checker(data)
    _check_slug(slug, c.problems)
    c.unknown_fields(_fields(Lesson))
    review = review_state(c)
    course = data.get("course")
    if not isinstance(course, str) or not SLUG_RE.match(course):
        c.fail("course", _("missing: the slug of the e-learning course this lesson belongs to"))
    minutes = c.integer("minutes", 2, 10)
    title = _plain(c, "title", LEARNING_LIMITS["title"])
    summary = _plain(c, "summary", LEARNING_LIMITS["summary"])
    sections = []
    for where, raw in _list(c, "sections", 2, 8, _("sections")):
        c.unknown_fields(_fields(Section, without=()), where, raw)
        sections.append({"heading": _plain(c, "heading", LEARNING_LIMITS["heading"], where=where, data=raw),
                         "body": c.text("body", LEARNING_LIMITS["body"], where=where, data=raw),
                         **check_marks(c, where, raw)})
    cases, seen = [], set()
    for where, raw in _list(c, "cases", 1, 3, _("cases")):
        c.unknown_fields(_fields(Case, without=()), where, raw)
        cases.append({"id": _item_id(c, where, raw, seen),
                      "situation": _plain(c, "situation", LEARNING_LIMITS["situation"], where=where, data=raw),
                      "question": _plain(c, "question", LEARNING_LIMITS["question"], where=where, data=raw),
                      "options": _choices(c, where, raw, "best", CaseOption)})
    check, seen = [], set()
    for where, raw in _list(c, "check", 2, 5, _("questions")):
        c.unknown_fields(_fields(CheckQuestion, without=()), where, raw)
        check.append({"id": _item_id(c, where, raw, seen),
                      "question": _plain(c, "question", LEARNING_LIMITS["question"], where=where, data=raw),
                      "options": _choices(c, where, raw, "correct", CheckOption),
                      "explanation": _plain(c, "explanation", LEARNING_LIMITS["explanation"], where=where,
                                            data=raw)})
    sources = []
    for where, raw in _list(c, "sources", 1, 8, _("sources")):
        c.unknown_fields(_fields(Source, without=()), where, raw)
        source: dict[str, Any] = {}
        for name in ("title", "publisher"):
            value = raw.get(name)
            if not isinstance(value, str) or not value.strip():
                c.fail(f"{where}{name}", _("missing"))
            elif len(value) > LEARNING_LIMITS["source"] or _MARKUP.search(value):
                c.fail(f"{where}{name}", _("plain text of at most %(n)d characters", n=LEARNING_LIMITS["source"]))
            source[name] = " ".join(str(value).split())
        source["year"] = c.integer("year", 1900, 2100, required=False, where=where, data=raw)
        url = raw.get("url")
        if url is not None and (not isinstance(url, str) or urlparse(url).scheme != "https"
                                or not urlparse(url).netloc):
            c.fail(f"{where}url", _("must be a full https:// address"))
        source["url"] = url
        source.update(check_marks(c, where, raw))
        sources.append(source)
    if c.problems:
        return None, c.problems
    return msgspec.convert({"slug": slug, "review": review, "course": course, "minutes": minutes, "title": title,
                            "summary": summary, "sections": sections, "cases": cases, "check": check,
                            "sources": sources}, Lesson), []


def validate_learning_references(courses: Mapping[str, ElearningCourse], lessons: Mapping[str, Lesson]
                                 ) -> list[tuple[str, Problem]]:
    """A course names lessons that exist and belong to it; a lesson belongs to a course that names it."""
    problems = []
    for slug, course in courses.items():
        for name in course.lessons:
            lesson = lessons.get(name)
            if lesson is None:
                problems.append((slug, Problem("lessons", _("no lesson named %(slug)r", slug=name))))
            elif lesson.course != slug:
                problems.append((slug, Problem("lessons", _("%(slug)r belongs to another course", slug=name))))
    for slug, lesson in lessons.items():
        course = courses.get(lesson.course)
        if course is None:
            problems.append((slug, Problem("course", _("no e-learning course named %(slug)r", slug=lesson.course))))
        elif slug not in course.lessons:
            problems.append((slug, Problem("course", _("the course %(course)r does not list this lesson",
                                                       course=lesson.course))))
    return problems
