"""The published content, held in memory.

Published versions are immutable, so every process can keep them in memory and serve pages without
asking the database. A process notices new versions by polling one number (the highest version id):
rollbacks and publishes always add a version, so that number moves whenever anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from server.content.schemas import (
    DURATIONS,
    RESOURCE_KINDS,
    Course,
    ElearningCourse,
    Exercise,
    Lesson,
    PublishedElearning,
    PublishedExercise,
    PublishedLesson,
    PublishedQuestionnaire,
    Questionnaire,
    Resource,
    upgrade_resource,
)
from server.lib.markdown import render_markdown
from server.settings import LANGUAGES


@dataclass(frozen=True)
class Catalog:
    revision: int = 0
    exercises: dict[str, PublishedExercise] = field(default_factory=dict)  # slug -> published document
    courses: dict[str, Course] = field(default_factory=dict)
    resources: tuple[Resource, ...] = ()
    questionnaires: dict[str, PublishedQuestionnaire] = field(default_factory=dict)  # slug -> e.g. WHO-5
    # Every exercise version ever published (id -> slug): events may name an older version.
    exercise_versions: dict[int, str] = field(default_factory=dict)
    questionnaire_versions: dict[int, str] = field(default_factory=dict)  # every WHO-5 version ever published
    elearning: dict[str, PublishedElearning] = field(default_factory=dict)  # staff e-learning courses
    lessons: dict[str, PublishedLesson] = field(default_factory=dict)
    # Every lesson version ever published (id -> the lesson): a phone may send an answer to the version it
    # opened offline after a newer one was published, and the answer is judged against what she read.
    lesson_versions: dict[int, Lesson] = field(default_factory=dict)

    def course_lessons(self, course: ElearningCourse) -> list[PublishedLesson]:
        """The course's published lessons, in its order (a lesson still awaiting review is left out)."""
        return [self.lessons[s] for s in course.lessons if s in self.lessons]

    def versions_of_questionnaire(self, slug: str) -> list[int]:
        """Every version id of one questionnaire: answers given to an older wording still count."""
        return [v for v, s in self.questionnaire_versions.items() if s == slug]

    def for_audience(self, audience: str) -> list[PublishedExercise]:
        return [e for e in self.exercises.values() if audience in e.audience]

    def library(self, audience: str, lang: str, *, kind: str | None = None, duration: str | None = None,
                tag: str | None = None) -> list[PublishedExercise]:
        bounds = next(((lo, hi) for key, _, lo, hi in DURATIONS if key == duration), None)
        items = [
            e for e in self.for_audience(audience)
            if (kind is None or e.kind == kind)
            and (bounds is None or bounds[0] <= e.minutes <= bounds[1])
            and (tag is None or tag in e.tags)
        ]
        return sorted(items, key=lambda e: (e.minutes, e.title[lang]))

    def tags_in_use(self, audience: str) -> list[str]:
        return sorted({t for e in self.for_audience(audience) for t in e.tags})


def build_catalog(revision: int, published: list[tuple[int, int, str, dict[str, Any]]],
                  exercise_versions: dict[int, str], questionnaire_versions: dict[int, str] | None = None,
                  lesson_versions: dict[int, dict[str, Any]] | None = None) -> Catalog:
    """``published`` holds (version id, version number, kind, stored document) for each published item;
    each document is converted to its Struct here, once per catalog."""
    exercises: dict[str, PublishedExercise] = {}
    courses: dict[str, Course] = {}
    resources: list[Resource] = []
    questionnaires: dict[str, PublishedQuestionnaire] = {}
    elearning: dict[str, PublishedElearning] = {}
    lessons: dict[str, PublishedLesson] = {}
    for version_id, number, kind, doc in published:
        if doc.get("review"):  # never shown before review; publishing after review stores it without the mark
            continue
        if kind == "exercise":
            exercise = msgspec.convert(doc, Exercise)
            exercises[exercise.slug] = PublishedExercise(
                **msgspec.structs.asdict(exercise), version_id=version_id, version=number,
                body_html={lang: render_markdown(exercise.body[lang]) for lang in LANGUAGES})
        elif kind == "course":
            course = msgspec.convert(doc, Course)
            courses[course.slug] = course
        elif kind == "resource":
            resources.append(msgspec.convert(upgrade_resource(doc), Resource))
        elif kind == "questionnaire":
            instrument = msgspec.convert(doc, Questionnaire)
            questionnaires[instrument.slug] = PublishedQuestionnaire(
                **msgspec.structs.asdict(instrument), version_id=version_id, version=number)
        elif kind == "elearning":
            course = msgspec.convert(doc, ElearningCourse)
            elearning[course.slug] = PublishedElearning(
                **msgspec.structs.asdict(course), version_id=version_id, version=number,
                intro_html={lang: render_markdown(course.intro[lang]) for lang in LANGUAGES})
        elif kind == "lesson":
            lesson = msgspec.convert(doc, Lesson)
            lessons[lesson.slug] = PublishedLesson(
                **msgspec.structs.asdict(lesson), version_id=version_id, version=number,
                sections_html=tuple({lang: render_markdown(s.body[lang]) for lang in LANGUAGES}
                                    for s in lesson.sections))
    resources.sort(key=lambda r: (list(RESOURCE_KINDS).index(r.kind), r.serves.level, r.order, r.slug))
    return Catalog(revision=revision, exercises=exercises, courses=courses, resources=tuple(resources),
                   questionnaires=questionnaires,
                   exercise_versions=exercise_versions, questionnaire_versions=questionnaire_versions or {},
                   elearning=elearning, lessons=lessons,
                   lesson_versions={v: msgspec.convert(d, Lesson) for v, d in (lesson_versions or {}).items()})

_current = Catalog()


def get_catalog() -> Catalog:
    return _current


def set_catalog(catalog: Catalog) -> None:
    global _current
    _current = catalog
