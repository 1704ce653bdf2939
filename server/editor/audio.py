"""Audio uploads: judged by their content, never by their name; stored under a name the server makes.

A file is accepted when its first bytes are those of MP3, MP4/M4A, Ogg or WebM and mutagen can read a
length from it: a renamed document or a damaged file is refused before anything is stored.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mutagen

MAX_BYTES = 30 * 1024 * 1024
SUFFIX = {"mp3": ".mp3", "m4a": ".m4a", "ogg": ".ogg", "webm": ".webm"}


def sniff(head: bytes) -> str | None:
    """The format from the first bytes, or None."""
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    return None


class Refused(ValueError):
    """Why the file cannot be used, for people (the controller translates the key)."""


@dataclass(frozen=True, slots=True)
class Stored:
    name: str
    seconds: float | None  # None when the format's length cannot be read (WebM often has none)


def length_of(path: Path) -> float | None:
    try:
        media = mutagen.File(path)
    except Exception:
        return None
    length = getattr(getattr(media, "info", None), "length", None) if media is not None else None
    return float(length) if length else None


def store(data: bytes, slug: str, audio_dir: Path) -> Stored:
    if len(data) > MAX_BYTES:
        raise Refused("too_big")
    kind = sniff(data[:16])
    if kind is None:
        raise Refused("not_audio")
    audio_dir.mkdir(parents=True, exist_ok=True)
    name = f"{slug}-{secrets.token_hex(6)}{SUFFIX[kind]}"
    fd, tmp = tempfile.mkstemp(dir=audio_dir, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        seconds = length_of(Path(tmp))
        if seconds is None and kind != "webm":
            raise Refused("unreadable")
        os.replace(tmp, audio_dir / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Stored(name, seconds)
