"""The real e-learning courses in content/ (issue 17): each has 5-8 lessons of at most ten minutes, as the issue
asks (the validator allows 1-8, so a small course can be tested and drafted)."""

from __future__ import annotations

from pathlib import Path

from server.content.loader import load_content_dir

CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_each_e_learning_course_in_content_has_five_to_eight_short_lessons():
    loaded = load_content_dir(CONTENT)
    assert loaded.ok, loaded.problems
    lessons = loaded.by_kind("lesson")
    for slug, course in loaded.by_kind("elearning").items():
        assert 5 <= len(course.lessons) <= 8, slug
        assert all(lessons[name].minutes <= 10 for name in course.lessons), slug
