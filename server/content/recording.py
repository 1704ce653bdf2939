"""The clinic's recording script for an exercise: what to say in each step, when it starts, about how long
the words take at a calm pace and how long to leave quiet, read from the content files themselves, so a
recording follows the same timer as the player. ``pusterum content script`` prints it; content/RECORDING.md
says how to record.
"""

from __future__ import annotations

import re

from server.content.schemas import Exercise

# A calm guiding voice: about three quarters of everyday Danish speech (roughly 150 words a minute).
WORDS_PER_MINUTE = 110
# The player rings a soft bell as each step begins; the voice starts after it.
BELL_SECONDS = 1
FORMAT = "mp3"


def mmss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def reading_seconds(text: str, words_per_minute: int = WORDS_PER_MINUTE) -> int:
    """How long ``text`` takes to say at the guiding pace, rounded up to whole seconds."""
    words = len(re.findall(r"\w+", text))
    return -(-words * 60 // words_per_minute)


def file_name(slug: str, lang: str) -> str:
    return f"{slug}.{lang}.{FORMAT}"


def script(exercise: Exercise, lang: str, words_per_minute: int = WORDS_PER_MINUTE) -> str:
    """The script as Markdown: a heading with the file name and length, then one section per step."""
    total = exercise.seconds
    lines = [
        f"## {exercise.title[lang]} (`{exercise.slug}`, {lang})",
        "",
        f"File: `{file_name(exercise.slug, lang)}` · length {mmss(total)} · {len(exercise.steps)} steps · "
        f"pace about {words_per_minute} words a minute",
        "",
    ]
    start = 0
    for number, step in enumerate(exercise.steps, 1):
        text = step.text[lang]
        speaking = reading_seconds(text, words_per_minute)
        quiet = step.seconds - BELL_SECONDS - speaking
        lines += [f"### Step {number} of {len(exercise.steps)} · {mmss(start)}–{mmss(start + step.seconds)} "
                  f"({step.seconds} s)", "", f"> {text}", ""]
        if quiet >= 2:
            lines.append(f"Begin after the bell (about {BELL_SECONDS} s in). Speaking: about {speaking} s. "
                         f"Then quiet: about {quiet} s.")
        elif quiet >= 0:
            lines.append(f"Begin after the bell (about {BELL_SECONDS} s in). Speaking: about {speaking} s, "
                         f"which fills the step: let it end on the last word.")
        else:
            lines.append(f"**Too long for the step**: about {speaking} s of words in {step.seconds} s. Read a little "
                         f"faster, or ask an editor to shorten the text or lengthen the step.")
        if step.breathing:
            b = step.breathing
            cycle = b.inhale + b.hold + b.exhale + b.hold_after
            pattern = ", ".join(f"{name} {seconds} s" for name, seconds in
                                (("in", b.inhale), ("hold", b.hold), ("out", b.exhale), ("hold", b.hold_after))
                                if seconds)
            lines.append(f"The screen guides the breath: {pattern} (about {step.seconds // cycle} breaths). "
                         f"Speak on the out-breath; do not count aloud.")
        lines.append("")
        start += step.seconds
    return "\n".join(lines).rstrip() + "\n"
