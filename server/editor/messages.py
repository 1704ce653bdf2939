"""The content checker's problems in words an editor reads, next to the field she wrote them in: "Trin 2
(dansk) mangler tekst", not "steps[2].da: skal være tekst".

The checker names a field by its path in the document (the same path in ``content/`` files, where a path
is what a developer wants, numbered from 1 as people count) and gives a reason meant for a file. Here the
path becomes the label the form shows and the id of the form control it belongs to, and a reason the
editor knows is said again as a sentence about that field. A reason it does not know is shown as it is,
after the field's label, so no problem is ever hidden.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.content.validation import Problem
from server.lib.i18n import N_, _

LABELS = {
    "title": N_("Title"), "summary": N_("Summary"), "why": N_("Why this helps"), "body": N_("Introduction"),
    "kind": N_("Kind"), "audience": N_("For"), "tags": N_("Tags"), "position": N_("Positions"),
    "minutes": N_("Minutes"), "eyes_open_ok": N_("Can be done with eyes open"), "contact_if": N_("Contact us if"),
    "seconds": N_("Seconds"), "breathing": N_("Breathing guide"), "inhale": N_("In"), "hold": N_("Hold"),
    "exhale": N_("Out"), "hold_after": N_("Pause after"), "theme": N_("Theme"), "intro": N_("Introduction"),
    "practices": N_("Practices"), "number": N_("Week number"), "name": N_("Name"),
    "description": N_("What it offers"), "phone": N_("Phone number"), "hours": N_("Opening hours"),
    "url": N_("Web address"), "category": N_("Category"), "order": N_("Order"), "audio": N_("Recording"),
    "verify": N_("Needs checking"), "instruction": N_("Instruction"), "attribution": N_("Source"),
    "score": N_("Score"), "scoring": N_("Scoring"), "slug": N_("Address"),
    "confirmed_on": N_("Checked on"), "review": N_("Review"), "serves": N_("Where it helps"),
    "regions": N_("Regions"), "municipalities": N_("Municipality codes"), "country": N_("The whole country"),
    "site_phone": N_("The site's number"),
}
NUMBERED = {"steps": N_("Step %(n)s"), "weeks": N_("Week %(n)s"), "items": N_("Statement %(n)s"),
            "options": N_("Answer %(n)s")}
LANGUAGES = {"da": N_("%(field)s (Danish)"), "en": N_("%(field)s (English)")}
_PART = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")

# The checker's reasons (its own message ids) and the sentence the editor reads instead.
SENTENCES = (
    (N_("missing (needs both da and en)"), N_("%(field)s has no text yet")),
    (N_("missing translation"), N_("%(field)s has no text yet")),
    (N_("must be text"), N_("%(field)s has no text yet")),
    (N_("too long (%(n)d characters, at most %(limit)d)"),
     N_("%(field)s is longer than %(limit)d characters (it has %(n)d)")),
    (N_("too short (at least %(n)d characters)"), N_("%(field)s is shorter than %(n)d characters")),
    (N_("missing"), N_("%(field)s is missing")),
    (N_("must be a whole number"), N_("%(field)s must be a whole number")),
    (N_("must lie between %(low)d and %(high)d (got %(value)d)"),
     N_("%(field)s must be between %(low)d and %(high)d (it is %(value)d)")),
    (N_("needs at least %(n)d value"), N_("%(field)s: choose at least %(n)d")),
    (N_("must be a list of 2–40 steps"), N_("An exercise has 2 to 40 steps")),
    (N_("must be a list of 1–12 weeks"), N_("A course has 1 to 12 weeks")),
    (N_("must be a list of 1–4 exercise slugs"), N_("%(field)s: choose 1 to 4 practices")),
    (N_("must be a list of 2–10 short items"), N_("%(field)s: write 2 to 10 lines")),
    (N_("must be a full https:// address"), N_("%(field)s must be a full address starting with https://")),
)


@dataclass(frozen=True, slots=True)
class Message:
    """One problem as she reads it, and the id of the form control it belongs to ("" if none)."""

    control: str
    text: str

    def __str__(self) -> str:
        return self.text


def field_label(path: str) -> str:
    """``steps[3].breathing.inhale`` → "Step 3, Breathing guide, In"; a language ends it in brackets."""
    words, language = [], None
    for part in filter(None, path.split(".")):
        match = _PART.fullmatch(part)
        if match is None:
            words.append(part)
        elif match.group(1) in LANGUAGES and match.group(2) is None:
            language = match.group(1)
        elif match.group(2) is not None and match.group(1) in NUMBERED:
            words.append(_(NUMBERED[match.group(1)], n=int(match.group(2))))
        else:
            label = LABELS.get(match.group(1))
            words.append(_(label) if label else match.group(1))
            if match.group(2) is not None:
                words[-1] += f" {match.group(2)}"
    text = ", ".join(words)
    return _(LANGUAGES[language], field=text) if language else text


def control_id(path: str) -> str:
    """The id of the form control a path is written in: ``steps[2].da`` → ``step1_da`` (the form counts
    from 0), ``weeks[1].theme.en`` → ``week0_theme_en``, ``title`` → ``title_da``; "" for none."""
    parts = [p for p in path.split(".") if p]
    if not parts:
        return ""
    head = _PART.fullmatch(parts[0])
    if head is None:
        return ""
    name, number = head.group(1), head.group(2)
    rest = parts[1:]
    if name in ("steps", "weeks") and number is None:
        return "steps-title" if name == "steps" else ""
    if name == "steps":
        prefix = f"step{int(number) - 1}"
        if not rest or rest[0] in ("breathing",):
            leaf = rest[1] if len(rest) > 1 else ("inhale" if rest else "da")
            return f"{prefix}_{leaf}"
        return f"{prefix}_{rest[0]}"
    if name == "weeks":
        prefix = f"week{int(number) - 1}"
        if not rest or rest[0] == "number":
            return f"{prefix}_theme_da"
        return f"{prefix}_{rest[0]}" + (f"_{rest[1] if len(rest) > 1 else 'da'}" if rest[0] in ("theme", "intro")
                                        else "")
    if name in ("title", "summary", "why", "body", "contact_if", "name", "description", "hours"):
        return f"{name}_{rest[0] if rest and rest[0] in LANGUAGES else 'da'}"
    if name == "serves":
        return "municipalities" if rest and rest[0] == "municipalities" else "serves"
    if name == "audio":
        return "audio-file"
    if name in ("kind", "audience", "minutes", "tags", "position", "eyes_open_ok", "order", "phone",
                "site_phone", "url", "verify"):
        return name
    return ""


def _pattern(template: str) -> re.Pattern[str]:
    """A translated reason with its placeholders as named groups, to read its numbers back."""
    pieces = re.split(r"%\((\w+)\)[sdr]", template)
    text = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(pieces))
    return re.compile(text)


def sentence(problem: Problem) -> str:
    """The problem as one sentence naming the field as she sees it, in her language."""
    label = field_label(problem.field)
    for reason, said in SENTENCES:
        match = _pattern(_(reason)).fullmatch(problem.reason)
        if match is None:
            continue
        values = {k: int(v) if v.lstrip("-").isdigit() else v for k, v in match.groupdict().items()}
        return _(said, field=label, **values)
    return f"{label}: {problem.reason}" if label else problem.reason


def explain(problem: Problem) -> Message:
    return Message(control_id(problem.field), sentence(problem))


def describe(problem: Problem) -> str:
    return sentence(problem)
