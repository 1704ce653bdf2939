"""Small-cell suppression: no row about fewer than five people is shown, and none can be worked out from the
total as "everything minus the rows that are shown" (which always includes a row of five or more)."""

from __future__ import annotations

import random

from server.lib.disclosure import MIN_PEOPLE, Row, protect, too_few


def safe_total(rows: list[Row], name: str) -> float | int:
    """What a reader can add up from the rows shown: the total minus this is what the hidden rows hold."""
    return sum(row.values.get(name) or 0 for row in rows if row.shown)


def table(*people: int) -> list[Row]:
    """Rows labelled a, b, c ... with these numbers of people; each did two practices."""
    return [Row(key=i, label=chr(ord("a") + i), people=n, values={"started": 2 * n}) for i, n in enumerate(people)]


def hidden(rows: list[Row]) -> dict[str, str | None]:
    return {row.label: row.hidden for row in rows}


def test_five_is_the_threshold():
    assert MIN_PEOPLE == 5
    assert [too_few(n) for n in range(7)] == [False, True, True, True, True, False, False]
    assert not too_few(1000)


def test_rows_of_fewer_than_five_are_hidden_as_small():
    rows = table(3, 4, 20, 30)
    assert protect(rows) is rows, "marked in place and returned for chaining"
    assert hidden(rows) == {"a": "small", "b": "small", "c": "complement", "d": None}
    assert [r.shown for r in rows] == [False, False, False, True]
    assert [r.label for r in rows] == ["a", "b", "c", "d"], "the order is kept"


def test_nothing_is_hidden_when_every_row_has_five_or_more():
    rows = protect(table(5, 6, 40))
    assert all(r.shown for r in rows)


def test_one_small_row_takes_the_next_smallest_with_it():
    rows = protect(table(30, 2, 12, 8, 9))
    assert hidden(rows) == {"a": None, "b": "small", "c": None, "d": "complement", "e": None}
    # What can be worked out from the total is only the sum of the two.
    total = sum(r.values["started"] for r in rows)
    assert total - safe_total(rows, "started") == rows[1].values["started"] + rows[3].values["started"]


def test_two_small_rows_take_the_smallest_row_of_five_or_more_with_them():
    # Alone, the total minus the rest would be 3 people in two rows: one and two, in some order.
    rows = protect(table(30, 2, 12, 1))
    assert hidden(rows) == {"a": None, "b": "small", "c": "complement", "d": "small"}


def test_a_row_hidden_by_the_caller_takes_a_partner_too():
    rows = table(30, 12, 8)
    rows[0].hidden = "complement"  # e.g. a wider view differs from it by a few people
    assert hidden(protect(rows)) == {"a": "complement", "b": None, "c": "complement"}


def test_a_tie_for_next_smallest_is_broken_by_the_label_whatever_the_order():
    for people, labels in (((3, 7, 7, 9), "abcd"), ((9, 7, 7, 3), "dcba"), ((7, 3, 9, 7), "bdac")):
        rows = [Row(key=label, label=label, people=n) for n, label in zip(people, labels, strict=True)]
        protect(rows)
        complement = [r.label for r in rows if r.hidden == "complement"]
        assert len(complement) == 1
        assert {r.label: r.people for r in rows}[complement[0]] == 7
        # The same one every time, so two views of the same table never hide different rows.
        assert complement == [min(r.label for r in rows if r.people == 7)]


def test_small_rows_alone_are_not_enough_even_when_they_tie():
    rows = protect(table(4, 4, 10))
    assert hidden(rows) == {"a": "small", "b": "small", "c": "complement"}


def test_all_rows_small_hides_them_all_and_adds_no_complement():
    rows = protect(table(1, 4, 3))
    assert hidden(rows) == {"a": "small", "b": "small", "c": "small"}
    assert safe_total(rows, "started") == 0


def test_a_single_row():
    assert hidden(protect(table(3))) == {"a": "small"}  # no other row to hide with it, and no error
    assert hidden(protect(table(12))) == {"a": None}
    assert protect([]) == []


def test_a_row_of_nobody_is_shown_it_reveals_nobody():
    rows = protect(table(0, 0, 10, 20))
    assert hidden(rows) == {"a": None, "b": None, "c": None, "d": None}
    assert safe_total(rows, "started") == 60


def test_a_row_of_nobody_does_not_count_as_protecting_a_small_row():
    rows = protect(table(0, 3, 20, 30))
    total = sum(r.values["started"] for r in rows)
    small = rows[1]
    assert small.hidden == "small"
    assert total - safe_total(rows, "started") != small.values["started"], "the small row can be worked out"


def test_safe_total_counts_only_the_rows_shown():
    rows = protect(table(2, 6, 7, 30))
    assert hidden(rows) == {"a": "small", "b": "complement", "c": None, "d": None}
    assert safe_total(rows, "started") == 2 * (7 + 30)
    rows[3].values["started"] = None
    assert safe_total(rows, "started") == 14, "a missing value counts as nothing"


def test_no_small_group_can_be_shown_or_worked_out_in_thousands_of_random_tables():
    rng = random.Random(20260521)
    for _ in range(5000):
        rows = [Row(key=i, label=f"row {rng.randrange(6)}", people=rng.randint(1, 40))
                for i in range(rng.randint(1, 12))]
        for row in rows:  # additive values: every person did at least one practice, some more
            row.values["started"] = sum(rng.randint(1, 6) for _ in range(row.people))
            row.values["minutes"] = sum(rng.choice((3, 10, 20)) for _ in range(row.values["started"]))
        before = [(r.key, r.people, dict(r.values)) for r in rows]
        protect(rows)
        context = [(r.people, r.label, r.hidden) for r in rows]
        assert [(r.key, r.people, r.values) for r in rows] == before, "only the marks change"

        assert not [r for r in rows if r.shown and r.people < MIN_PEOPLE], context
        assert all(r.hidden == "small" for r in rows if r.people < MIN_PEOPLE), context
        small = [r for r in rows if r.hidden == "small"]
        complement = [r for r in rows if r.hidden == "complement"]
        partner = small and any(r.people >= MIN_PEOPLE for r in rows)
        assert len(complement) == (1 if partner else 0), context
        if complement:  # the next-smallest row, no bigger one
            assert all((complement[0].people, complement[0].label) <= (r.people, r.label) for r in rows if r.shown)
        if partner:  # what the total gives away always includes five or more people of one row
            assert len(small) + len(complement) != 1, context
            for name in ("started", "minutes"):
                worked_out = sum(r.values[name] for r in rows) - safe_total(rows, name)
                assert not [r for r in rows if not r.shown and r.values[name] == worked_out], (name, context)


def test_more_practices_completed_than_started_is_never_shown():
    """Started and completed each carry their own noise: where every practice was completed, the noise alone
    could show more completed than started, which a reader would take for an error in the figures."""
    from server.lib.disclosure import Cell
    from server.reports.figures import _values

    for key in range(2000):
        cell = Cell()
        cell.merge(20, key, {"started": 40, "completed": 40}, {"started": 5, "completed": 5})
        if round(cell.magnitude("completed")) > round(cell.magnitude("started")):
            break
    else:
        raise AssertionError("no cell key where the noise alone would show more completed than started")
    values = _values(cell)
    assert values["completed"] <= values["started"]
    assert values["started"] == round(cell.magnitude("started"))  # started itself as published
