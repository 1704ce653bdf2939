"""Free text leaves only where it cannot be linked: comments.csv releases a comment with its quarter and kind
of exercise only when at least five people commented on that kind in that quarter (issue: a comment's month
and exercise matched one rating in events.csv, which gave her pseudonym, site and join day)."""

from __future__ import annotations

from server.reports.exports import Comment, releasable


def said(person: int, kind: str = "mindfulness", quarter: str = "2026-Q3", text: str = "") -> Comment:
    return Comment(person, quarter, kind, text or f"words of {person} on {kind}")


def test_five_people_on_one_kind_in_a_quarter_are_released_with_the_kind():
    rows = releasable([said(p) for p in range(5)])
    assert len(rows) == 5 and {(q, k) for q, k, _text in rows} == {("2026-Q3", "mindfulness")}


def test_one_person_writing_five_comments_is_still_one_person():
    assert releasable([said(7, text=f"comment {i}") for i in range(5)]) == []


def test_a_rarer_kind_goes_without_its_kind_when_the_quarters_rest_has_five_people():
    comments = [*(said(p) for p in range(5)), said(10, "pain_coping"),
                *(said(p, "micro_pause") for p in (11, 12, 13, 14))]
    rows = releasable(comments)
    assert sum(k == "mindfulness" for _q, k, _t in rows) == 5
    # Pain coping (1) and micro-pauses (4) are too few alone: together five people, released without the kind.
    assert sorted(t for _q, k, t in rows if k == "") == sorted(c.text for c in comments[5:])
    assert not [k for _q, k, _t in rows if k in ("pain_coping", "micro_pause")]


def test_a_quarter_with_fewer_than_five_people_keeps_its_comments():
    comments = [said(p, quarter="2026-Q1") for p in range(4)] + [said(p, quarter="2026-Q2") for p in range(5)]
    assert {q for q, _k, _t in releasable(comments)} == {"2026-Q2"}


def test_the_order_is_by_the_words_not_by_who_or_when():
    comments = [said(p, text=text) for p, text in enumerate(["zz", "aa", "mm", "bb", "yy"])]
    assert [t for _q, _k, t in releasable(comments)] == ["aa", "bb", "mm", "yy", "zz"]
