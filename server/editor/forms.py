"""The exercise form, read into a draft: every field optional while drafting, so nothing she typed is lost.

Without JavaScript the step buttons (add, remove, move) are submit buttons of the same form; with it,
the form also autosaves. Either way the server builds the draft from the whole form.
"""

from __future__ import annotations

from typing import Any

from server.content.schemas import AUDIENCES, KINDS, POSITIONS, TAGS
from server.settings import LANGUAGES

MAX_STEPS = 40


def _int(value: str, default: int | None = None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 5 else default


def _text(form: Any, name: str, limit: int = 5000) -> str:
    return str(form.get(name) or "").replace("\r\n", "\n")[:limit]


def _pair(form: Any, name: str, limit: int = 5000) -> dict[str, str]:
    return {lang: _text(form, f"{name}_{lang}", limit).strip() for lang in LANGUAGES}


def read_form(form: Any) -> tuple[dict[str, Any], str]:
    """(draft data, the action the button asked for)."""
    count = min(_int(_text(form, "steps_count"), 0) or 0, MAX_STEPS)
    steps = []
    for i in range(count):
        inhale = _int(_text(form, f"step{i}_inhale"))
        breathing = None
        if inhale is not None:
            breathing = {"inhale": inhale, "hold": _int(_text(form, f"step{i}_hold"), 0),
                         "exhale": _int(_text(form, f"step{i}_exhale"), 0),
                         "hold_after": _int(_text(form, f"step{i}_hold_after"), 0)}
        steps.append({"seconds": _int(_text(form, f"step{i}_seconds")),
                      "text": {lang: _text(form, f"step{i}_{lang}", 1000).strip() for lang in LANGUAGES},
                      "breathing": breathing})
    contact = {lang: [line.strip() for line in _text(form, f"contact_if_{lang}").splitlines() if line.strip()]
               for lang in LANGUAGES}
    data = {
        "kind": _text(form, "kind") if _text(form, "kind") in KINDS else "mindfulness",
        "audience": [a for a in form.getall("audience", []) if a in AUDIENCES],
        "minutes": _int(_text(form, "minutes")),
        "tags": [t for t in form.getall("tags", []) if t in TAGS],
        "position": [p for p in form.getall("position", []) if p in POSITIONS],
        "eyes_open_ok": _text(form, "eyes_open_ok") == "yes",
        "audio": _text(form, "audio", 200).strip() or None,
        "title": _pair(form, "title", 200), "summary": _pair(form, "summary", 400), "why": _pair(form, "why"),
        "contact_if": contact if any(contact.values()) else None,
        "body": _pair(form, "body", 10000),
        "steps": steps,
        "verify": _text(form, "verify") == "yes",
        "confirmed_on": _text(form, "confirmed_on", 20).strip() or None,
    }
    return data, _text(form, "action", 40) or "save"


def apply_step_action(data: dict[str, Any], action: str) -> bool:
    """add / remove-N / up-N / down-N on the steps; True if the action was one of these."""
    steps = data["steps"]
    name, _sep, index = action.partition("-")
    if name == "add" and len(steps) < MAX_STEPS:
        steps.append({"seconds": 30, "text": {lang: "" for lang in LANGUAGES}, "breathing": None})
        return True
    if not index.isdigit() or not 0 <= int(index) < len(steps):
        return name in ("add", "remove", "up", "down")
    i = int(index)
    if name == "remove" and len(steps) > 1:
        steps.pop(i)
    elif name == "up" and i > 0:
        steps[i - 1], steps[i] = steps[i], steps[i - 1]
    elif name == "down" and i < len(steps) - 1:
        steps[i + 1], steps[i] = steps[i], steps[i + 1]
    return name in ("remove", "up", "down")


MAX_WEEKS = 12


def read_course_form(form: Any) -> tuple[dict[str, Any], str]:
    """A course: title, summary and its weeks (theme, introduction, up to four practices each)."""
    count = min(_int(_text(form, "weeks_count"), 0) or 0, MAX_WEEKS)
    weeks = [{"number": i + 1, "theme": _pair(form, f"week{i}_theme", 200), "intro": _pair(form, f"week{i}_intro"),
              "practices": [p for p in form.getall(f"week{i}_practices", []) if p][:4]} for i in range(count)]
    data = {"title": _pair(form, "title", 200), "summary": _pair(form, "summary", 400), "weeks": weeks}
    return data, _text(form, "action", 40) or "save"


def apply_week_action(data: dict[str, Any], action: str) -> bool:
    weeks = data["weeks"]
    if action == "add-week" and len(weeks) < MAX_WEEKS:
        weeks.append({"number": len(weeks) + 1, "theme": {lang: "" for lang in LANGUAGES},
                      "intro": {lang: "" for lang in LANGUAGES}, "practices": []})
        return True
    name, _sep, index = action.partition(":")
    if name == "remove-week" and index.isdigit() and int(index) < len(weeks) and len(weeks) > 1:
        weeks.pop(int(index))
        for number, week in enumerate(weeks, start=1):
            week["number"] = number
        return True
    return False


def read_resource_form(form: Any) -> tuple[dict[str, Any], str]:
    """A support resource: what kind of help, for whom, where, and how to reach it. Kept as she typed it (an
    unknown code stays, so the validator can name it); the rules are the import's (``validate_resource``)."""
    from server.content.schemas import COUNTRY, RESOURCE_AUDIENCES, RESOURCE_KINDS, SITE_PHONES

    kind = _text(form, "kind", 40)
    scope = _text(form, "serves", 20)
    if scope == "regions":
        serves: dict[str, Any] = {"regions": [r[:4] for r in form.getall("regions", [])][:10]}
    elif scope == "municipalities":
        serves = {"municipalities": _text(form, "municipalities", 600).replace(",", " ").split()[:100]}
    else:
        serves = {"country": COUNTRY}
    site_phone = _text(form, "site_phone", 20)
    data = {
        "kind": kind if kind in RESOURCE_KINDS else "advice",
        "audience": [a for a in form.getall("audience", []) if a in RESOURCE_AUDIENCES],
        "serves": serves,
        "order": _int(_text(form, "order"), 100),
        "name": _pair(form, "name", 200), "description": _pair(form, "description", 800),
        "hours": _pair(form, "hours", 200),
        "phone": _text(form, "phone", 40).strip() or None,
        "site_phone": site_phone if site_phone in SITE_PHONES else None,
        "url": _text(form, "url", 400).strip() or None,
        "verify": _text(form, "verify") == "yes",
        "confirmed_on": _text(form, "confirmed_on", 20).strip() or None,
    }
    return data, _text(form, "action", 40) or "save"
