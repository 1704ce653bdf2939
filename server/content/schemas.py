"""The shapes of content documents and the words used to describe them.

The constants are shared by the file validator, the importer and the editor, so a rule is written once.
Labels are gettext-marked and translated where they are shown.

The Structs at the end are the one written-down shape of each document: what the validator turns a
file or an editor's draft into, what is stored as JSON, and what the catalog, the pages, the reports and
the demo read by attribute. The validator (``validation.py``) keeps the rules, because it reports every
problem at once in the reader's language, which a Struct's own checks cannot; the Structs hold no limits
of their own, only the shape the rules produce.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from server.lib.i18n import N_

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
PHONE_RE = re.compile(r"^\+?[0-9 ]{3,20}$")

KINDS = {
    "mindfulness": N_("Mindfulness"),
    "pain_coping": N_("Pain coping"),
    "micro_pause": N_("Micro-pause"),
}
AUDIENCES = ("patient", "staff", "partner")
POSITIONS = {
    "sitting": N_("Sitting"),
    "standing": N_("Standing"),
    "lying": N_("Lying down"),
    "walking": N_("Walking"),
}
TAGS = {
    "anxiety": N_("Anxiety"),
    "stress": N_("Stress"),
    "sleep": N_("Sleep"),
    "night": N_("At night"),
    "body": N_("The body"),
    "breath": N_("Breathing"),
    "kindness": N_("Kindness"),
    "baby": N_("You and the baby"),
    "sounds": N_("Sounds"),
    "thoughts": N_("Thoughts"),
    "walking": N_("Walking"),
    "feelings": N_("Feelings"),
    "grounding": N_("Grounding"),
    "contractions": N_("Contractions"),
    "labour": N_("Labour"),
    "back_pain": N_("Back pain"),
    "pelvic_pain": N_("Pelvic pain"),
    "after_birth": N_("After birth"),
    "breastfeeding": N_("Breastfeeding"),
    "procedure": N_("Tests and examinations"),
    "tension": N_("Tension"),
    "short": N_("Short"),
    "before_hard_moment": N_("Before a hard moment"),
    "after_hard_moment": N_("After a hard moment"),
    "end_of_shift": N_("End of shift"),
    "hand_washing": N_("By the sink"),
    "standing": N_("Standing up"),
    "course": N_("Course"),
    "cravings": N_("Cravings"),
    "grief": N_("Grief and loss"),
    "relationship": N_("The two of you"),
}
# What kind of help a support resource is: the sections of the support pages, in the order shown. A closed set,
# so that the pages can rely on it (the emergency number first, crisis lines apart from advice lines).
RESOURCE_KINDS = {
    "emergency": N_("In an emergency"),
    "acute": N_("Acute illness or injury"),
    "clinic": N_("Your clinic and the maternity ward"),
    "crisis": N_("When everything feels too much"),
    "violence": N_("Violence in a close relationship"),
    # The bridge to the municipality: the health visitor, and family services before and after the birth.
    "family": N_("Health visitor and the municipality's family services"),
    "advice": N_("Advice and someone to talk to"),
    "substance": N_("Alcohol, drugs and medicine"),
    "community": N_("Help from organisations and volunteers"),
    "workplace": N_("Support at work"),
}
# Kinds whose number is shown whatever else is true of it (unconfirmed, or the page cannot tell where she lives):
# a place to call in a crisis must never be hidden. Every kind must have a phone number here.
NEVER_HIDDEN = ("emergency", "crisis")
# Who a resource is for: the participant kinds (partners come with issue 18).
RESOURCE_AUDIENCES = ("patient", "staff", "partner")
# The numbers a site's coordinator keeps (``Site.ward_phone``, ``Site.clinic_phone``), which a resource can show
# as its call button instead of a number of its own.
SITE_PHONES = {"ward": N_("Call the ward"), "clinic": N_("Call the clinic")}
COUNTRY = "DK"

# Duration filters on the library page: (key, label, lowest minutes, highest minutes).
DURATIONS = (
    ("short", N_("Up to 5 minutes"), 0, 5),
    ("medium", N_("6 to 15 minutes"), 6, 15),
    ("long", N_("Over 15 minutes"), 16, 999),
)

LIMITS = {
    "title": 40,
    "summary": 120,
    "why": 800,
    "step": 400,
    "body": 4000,
    "contact_item": 160,
    "theme": 60,
    "intro": 800,
    "name": 80,
    "description": 300,
    "hours": 80,
}


def stress_value(raw: str) -> int | None:
    """How stressed she felt, 0-10, from the player's or the pause page's form or link; anything else
    means she did not say (the rating is always optional)."""
    return int(raw) if raw.isdigit() and 0 <= int(raw) <= 10 else None


# --- the documents ---

Text = dict[str, str]
"""Text in every language, keyed by language code (``title[lang]``); the validator makes sure both are there."""


class _Shape(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Published content is shared by every request of a process: frozen, with tuples for lists.

    No field has a default, except the review marks (``review``, ``verify``, ``confirmed_on``): the validator
    writes every field (``None`` where a file leaves an optional one out), so a stored document converts back
    exactly, and a field the validator writes but the Struct lacks is an error at once, not a value silently
    dropped. The review marks came later: with a default that is left out of the stored JSON
    (``omit_defaults``), documents stored before them read back unchanged and keep their ``source_hash``, so
    adding the marks published nothing new.
    """


# The one value a document's top-level ``review`` may hold: imported as a version, never shown to participants
# until an editor publishes it after the review (``server/content/review.py``).
REVIEW_STATES = ("awaiting",)


class Breathing(_Shape):
    """The breathing guide of a step, in seconds; ``hold_after`` pauses after the out-breath."""

    inhale: int
    hold: int
    exhale: int
    hold_after: int


class Step(_Shape):
    seconds: int
    text: Text
    breathing: Breathing | None


class Exercise(_Shape):
    """An exercise or micro-pause: the front matter of ``exercises/<slug>.md`` and its Markdown ``body``."""

    slug: str
    kind: str  # a key of KINDS
    audience: tuple[str, ...]  # of AUDIENCES
    minutes: int
    tags: tuple[str, ...]  # keys of TAGS
    position: tuple[str, ...]  # keys of POSITIONS
    eyes_open_ok: bool
    audio: str | None  # a file name under content/audio/
    title: Text
    summary: Text
    why: Text | None
    contact_if: dict[str, tuple[str, ...]] | None  # language -> "contact us if" items
    steps: tuple[Step, ...]
    body: Text  # Markdown
    verify: bool = False  # its clinical facts (the "contact us if" list) must be checked by an editor
    confirmed_on: str | None = None  # YYYY-MM-DD: when an editor confirmed them
    review: str | None = None  # "awaiting": imported, not shown to participants until published after review

    @property
    def seconds(self) -> int:
        """The practice's real length, its steps added up (``minutes`` is the rounded promise). Derived, so
        never stored and never out of step with the steps."""
        return sum(step.seconds for step in self.steps)


class Week(_Shape):
    number: int
    theme: Text
    intro: Text
    practices: tuple[str, ...]  # exercise slugs, for patients


class Course(_Shape):
    slug: str
    title: Text
    summary: Text
    weeks: tuple[Week, ...]
    review: str | None = None  # see Exercise.review


class Places(_Shape):
    """Where a resource serves: the whole country, some regions (codes 1081–1085) or some municipalities
    (four-digit kommunekoder, ``server/participants/municipalities.csv``); the most local that applies wins."""

    country: str | None  # "DK": everywhere
    regions: tuple[str, ...]
    municipalities: tuple[str, ...]

    @property
    def level(self) -> int:
        """0 for a municipal offer, 1 for a regional one, 2 for a national one: local help is shown first."""
        return 0 if self.municipalities else 1 if self.regions else 2


class Resource(_Shape):
    """A place to get support: what kind of help it is, for whom, where, and how to reach it (a phone number
    shown as a call button, or the site's own ward or clinic number; a web address; opening hours)."""

    slug: str
    kind: str  # a key of RESOURCE_KINDS
    audience: tuple[str, ...]  # of RESOURCE_AUDIENCES
    serves: Places
    order: int
    name: Text
    description: Text
    hours: Text | None
    phone: str | None
    site_phone: str | None  # a key of SITE_PHONES: the number comes from her site's settings
    url: str | None  # https only
    verify: bool  # an editor must check the number or address before launch; shown as "being checked"
    confirmed_on: str | None = None  # YYYY-MM-DD: when an editor confirmed them (no longer "being checked")
    review: str | None = None  # see Exercise.review


def upgrade_resource(data: dict[str, Any]) -> dict[str, Any]:
    """A resource stored before it had a kind, an audience and places (``category`` instead): read as the
    nearest new shape, so old published versions and drafts keep working until they are published again.
    Versions stay immutable; this is how they are read, not a rewrite."""
    if "category" not in data or "kind" in data:
        return data
    data = dict(data)
    category = data.pop("category")
    data["kind"] = {"support": "advice"}.get(category, category)
    data.setdefault("audience", ["patient"])
    data.setdefault("serves", {"country": COUNTRY, "regions": [], "municipalities": []})
    data.setdefault("site_phone", None)
    return data


class Option(_Shape):
    score: int
    text: Text


class Scoring(_Shape):
    """The instrument's own rules (WHO-5: the sum × 4; support at 28 or below, or any item at 1 or below)."""

    multiplier: int
    support_at_or_below: int | None
    support_if_any_item_at_or_below: int | None
    meaningful_change: int | None


class Questionnaire(_Shape):
    """A questionnaire as its authors publish it (WHO-5), its wording kept verbatim."""

    slug: str
    title: Text
    instruction: Text
    items: tuple[Text, ...]
    options: tuple[Option, ...]
    scoring: Scoring
    attribution: Text


# --- the staff e-learning course (issue 17): a course of lessons, each file one lesson ---

ITEM_ID_RE = re.compile(r"^[a-z0-9-]{1,20}$")  # a case's, an option's or a check question's id within its lesson


class Section(_Shape):
    heading: Text
    body: Text  # Markdown
    verify: bool = False  # a clinical or legal fact an editor must check
    confirmed_on: str | None = None  # YYYY-MM-DD: when an editor confirmed it


class CaseOption(_Shape):
    id: str
    text: Text
    feedback: Text
    best: bool


class Case(_Shape):
    id: str
    situation: Text
    question: Text
    options: tuple[CaseOption, ...]


class CheckOption(_Shape):
    id: str
    text: Text
    correct: bool


class CheckQuestion(_Shape):
    id: str
    question: Text
    options: tuple[CheckOption, ...]
    explanation: Text

    def is_correct(self, option_id: str) -> bool | None:
        """Right or wrong; None for an option this question does not have."""
        return next((o.correct for o in self.options if o.id == option_id), None)


class Source(_Shape):
    title: str  # as published, not translated
    publisher: str
    year: int | None
    url: str | None  # https only
    verify: bool = False
    confirmed_on: str | None = None


class Lesson(_Shape):
    """One lesson of an e-learning course (``content/lessons/<slug>.yaml``)."""

    slug: str
    course: str  # the e-learning course's slug
    minutes: int
    title: Text
    summary: Text
    sections: tuple[Section, ...]
    cases: tuple[Case, ...]
    check: tuple[CheckQuestion, ...]
    sources: tuple[Source, ...]
    review: str | None = None  # a key of REVIEW_STATES; left out of the stored JSON once published after review


class ElearningCourse(_Shape):
    """An e-learning course for staff (``content/elearning/<slug>.yaml``): its lessons, in order."""

    slug: str
    audience: tuple[str, ...]  # of AUDIENCES
    title: Text
    summary: Text
    intro: Text  # Markdown
    lessons: tuple[str, ...]  # lesson slugs
    review: str | None = None  # see Lesson.review


Content = Exercise | Course | Resource | Questionnaire | Lesson | ElearningCourse
CONTENT_TYPES: dict[str, type[Content]] = {"exercise": Exercise, "course": Course, "resource": Resource,
                                           "questionnaire": Questionnaire, "lesson": Lesson,
                                           "elearning": ElearningCourse}


def typed(kind: str, data: dict[str, Any]) -> Content:
    """A validated document read back from its JSON (a stored version) as its Struct."""
    return msgspec.convert(upgrade_resource(data) if kind == "resource" else data, CONTENT_TYPES[kind])


class PublishedExercise(Exercise, kw_only=True):
    """An exercise as the catalog serves it: the document plus what only the catalog knows, which published
    version it is and its body rendered once as HTML.

    A subclass rather than defaults on ``Exercise``: a document that was only validated (a file, a draft)
    never carries a made-up version 0, nothing the catalog adds can reach the stored JSON, and every
    function that takes an ``Exercise`` takes a published one too. Courses and resources have no such form:
    no event or page names their versions.
    """

    version_id: int  # the content_version row that events name
    version: int  # its number, 1, 2, … per exercise
    body_html: Text  # the body rendered once, when the catalog is built


class PublishedQuestionnaire(Questionnaire, kw_only=True):
    """A questionnaire as the catalog serves it, with the version its answers name (see PublishedExercise)."""

    version_id: int  # the content_version row that answers name
    version: int


class PublishedLesson(Lesson, kw_only=True):
    """A lesson as the catalog serves it: the version its events name, and its Markdown rendered once."""

    version_id: int
    version: int
    sections_html: tuple[Text, ...]


class PublishedElearning(ElearningCourse, kw_only=True):
    """An e-learning course as the catalog serves it: the version the certificate names."""

    version_id: int
    version: int
    intro_html: Text
