"""A content document's shape is written once, in ``server/content/schemas.py``: what the validator makes,
what is stored as JSON and what the catalog serves are the same Structs, field for field."""

from __future__ import annotations

import dataclasses
import json

import msgspec
import pytest
import yaml

from server.content.catalog import build_catalog
from server.content.loader import load_content_dir, split_front_matter, split_languages
from server.content.schemas import (
    CONTENT_TYPES,
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
    PublishedElearning,
    PublishedExercise,
    PublishedLesson,
    PublishedQuestionnaire,
    Questionnaire,
    Resource,
    Scoring,
    Section,
    Source,
    Step,
    Week,
    typed,
)
from server.content.validation import (
    validate_course,
    validate_elearning,
    validate_exercise,
    validate_lesson,
    validate_questionnaire,
    validate_resource,
)
from tests.conftest import ROOT
from tests.learning import FIXTURE

RESULT = load_content_dir(ROOT / "content")
# The e-learning kinds from the test fixture course while content/ has none of them (issue 17's lessons come
# on their own branch); once content/ has them, its own documents are used.
_FIXTURE = load_content_dir(FIXTURE)
_KINDS_IN_CONTENT = {d.kind for d in RESULT.documents}
DOCUMENTS = RESULT.documents + [d for d in _FIXTURE.documents if d.kind not in _KINDS_IN_CONTENT]
ROOTS = {d.slug: ROOT / "content" for d in RESULT.documents} | {
    d.slug: FIXTURE for d in _FIXTURE.documents if d.kind not in _KINDS_IN_CONTENT}
SHAPES = (Exercise, Step, Breathing, Course, Week, Resource, Questionnaire, Option, Scoring, Lesson, Section, Case,
          CaseOption, CheckQuestion, CheckOption, Source, ElearningCourse)


def test_every_document_in_content_is_its_struct_and_stored_json_reads_back_as_the_same():
    assert RESULT.problems == [] and _FIXTURE.problems == []
    assert {d.kind for d in DOCUMENTS} == set(CONTENT_TYPES)
    for doc in DOCUMENTS:
        assert type(doc.content) is CONTENT_TYPES[doc.kind], doc.slug
        stored = json.dumps(doc.data, ensure_ascii=False)  # as the import writes it
        again = typed(doc.kind, json.loads(stored))  # strict: a field the Struct lacks is an error
        assert again == doc.content, doc.slug
        assert json.dumps(msgspec.to_builtins(again), ensure_ascii=False) == stored, doc.slug


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.__name__)
def test_every_shape_is_frozen_refuses_unknown_fields_and_has_no_defaults(shape):
    # A default would let a field the validator forgot to write pass as its default, silently. The review marks
    # are the one exception (left out of the stored JSON when unset, so older versions keep their hash).
    config = shape.__struct_config__
    assert config.frozen and config.forbid_unknown_fields
    assert all(field.required for field in msgspec.structs.fields(shape)
               if field.name not in ("review", "verify", "confirmed_on"))


@pytest.mark.parametrize("kind", sorted(CONTENT_TYPES))
def test_a_field_the_struct_lacks_fails_the_conversion(kind):
    doc = next(d for d in DOCUMENTS if d.kind == kind)
    with pytest.raises(msgspec.ValidationError, match="unknown field `difficulty`"):
        typed(kind, {**doc.data, "difficulty": 3})


# A part of each document that is a Struct of its own (a step, a week, an answer option).
NESTED = {"exercise": lambda d: d["steps"][0], "course": lambda d: d["weeks"][0],
          "questionnaire": lambda d: d["options"][0], "lesson": lambda d: d["sections"][0]}


@pytest.mark.parametrize("kind", sorted(NESTED))
def test_a_field_the_struct_lacks_fails_the_conversion_inside_a_document_too(kind):
    data = json.loads(json.dumps(next(d for d in DOCUMENTS if d.kind == kind).data))
    NESTED[kind](data)["difficulty"] = 3
    with pytest.raises(msgspec.ValidationError, match=r"unknown field `difficulty` - at `\$\.\w+\[0\]`"):
        typed(kind, data)


def _source(kind: str, slug: str) -> tuple[dict, dict[str, str]]:
    folder = {"exercise": "exercises", "course": "courses", "resource": "resources",
              "questionnaire": "questionnaires", "elearning": "elearning", "lesson": "lessons"}[kind]
    text = (ROOTS[slug] / folder / f"{slug}{'.md' if kind == 'exercise' else '.yaml'}").read_text("utf-8")
    if kind != "exercise":
        return yaml.safe_load(text), {}
    front, body = split_front_matter(text)
    return yaml.safe_load(front), split_languages(body)


VALIDATE = {"exercise": validate_exercise, "course": lambda slug, meta, _body: validate_course(slug, meta),
            "resource": lambda slug, meta, _body: validate_resource(slug, meta),
            "questionnaire": lambda slug, meta, _body: validate_questionnaire(slug, meta),
            "elearning": lambda slug, meta, _body: validate_elearning(slug, meta),
            "lesson": lambda slug, meta, _body: validate_lesson(slug, meta)}


@pytest.mark.parametrize("kind", sorted(CONTENT_TYPES))
def test_a_file_may_write_the_fields_of_its_struct_and_nothing_else(kind):
    doc = next(d for d in DOCUMENTS if d.kind == kind)
    meta, body = _source(kind, doc.slug)
    # Every field a file leaves out may be written (with a wrong value: the rule answers, not "unknown")...
    fields = set(CONTENT_TYPES[kind].__struct_fields__) - {"slug", "body"}
    problems = VALIDATE[kind](doc.slug, {**dict.fromkeys(fields, object()), **meta}, body)[1]
    assert not [p for p in problems if "unknown field" in p.reason]
    # ... and a field the Struct lacks is reported, with every other problem.
    document, problems = VALIDATE[kind](doc.slug, {**meta, "difficulty": 3, "titel": {}}, body)
    assert document is None
    assert {p.field for p in problems if "unknown field" in p.reason} == {"difficulty", "titel"}


def test_the_catalog_adds_only_its_version_and_rendered_body_to_the_validated_document():
    # As published: publishing after review stores a document without its ``review: awaiting``.
    reviewed = [dataclasses.replace(d, content=msgspec.structs.replace(d.content, review=None))
                if getattr(d.content, "review", None) else d for d in DOCUMENTS]
    published = [(100 + i, 1, d.kind, json.loads(json.dumps(d.data))) for i, d in enumerate(reviewed)]
    catalog = build_catalog(1, published, {}, {})
    for doc in reviewed:
        if doc.kind == "exercise":
            served = catalog.exercises[doc.slug]
            assert isinstance(served, PublishedExercise) and served.body_html["da"].startswith("<")
            extra = {"version_id", "version", "body_html"}
        elif doc.kind == "questionnaire":
            served = catalog.questionnaires[doc.slug]
            assert isinstance(served, PublishedQuestionnaire)
            extra = {"version_id", "version"}
        elif doc.kind == "lesson":
            served = catalog.lessons[doc.slug]
            assert isinstance(served, PublishedLesson) and served.sections_html[0]["da"].startswith("<")
            extra = {"version_id", "version", "sections_html"}
        elif doc.kind == "elearning":
            served = catalog.elearning[doc.slug]
            assert isinstance(served, PublishedElearning) and served.intro_html["da"].startswith("<")
            extra = {"version_id", "version", "intro_html"}
        else:
            served = catalog.courses.get(doc.slug) or next(r for r in catalog.resources if r.slug == doc.slug)
            extra = set()
        fields = msgspec.structs.asdict(served)
        assert {k: v for k, v in fields.items() if k not in extra} == msgspec.structs.asdict(doc.content)
        assert set(fields) - set(msgspec.structs.asdict(doc.content)) == extra
