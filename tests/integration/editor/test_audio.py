"""Audio uploads: judged by content, stored under a name we make, length compared with the steps."""

from __future__ import annotations

import re
import struct

import pytest
from mutagen.ogg import OggPage

from server.settings import get_settings
from tests.support import csrf_token

SLUG = "breathing-space-3"  # 180 s of steps


@pytest.fixture(autouse=True)
def audio_dir(tmp_path, monkeypatch):
    """Uploads land in a throwaway content folder, never in the repository's content/."""
    import dataclasses

    from server.editor import controllers, services

    settings = dataclasses.replace(get_settings(), content_dir=tmp_path)
    monkeypatch.setattr(controllers, "get_settings", lambda: settings)
    monkeypatch.setattr(services, "get_settings", lambda: settings)
    return tmp_path / "audio"


def mp3(seconds: float) -> bytes:
    """Silent MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz: a real, playable stream of that length."""
    header = bytes([0xFF, 0xFB, 0x90, 0x64])
    frame = header + bytes(417 - len(header))
    return frame * round(seconds * 44100 / 1152)


def ogg(seconds: float) -> bytes:
    """An Ogg Vorbis stream (identification + comment header pages and an end page) of that length."""
    rate = 44100
    ident = b"\x01vorbis" + struct.pack("<IBIiiiBB", 0, 1, rate, 0, 64000, 0, 0xB8, 1)
    comment = b"\x03vorbis" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0) + b"\x01"
    pages = []
    for sequence, (packets, position) in enumerate([([ident], 0), ([comment], 0), ([b"\x00" * 20], rate * seconds)]):
        page = OggPage()
        page.serial, page.sequence, page.packets, page.position = 7, sequence, packets, int(position)
        page.first = sequence == 0
        page.last = sequence == 2
        pages.append(page.write())
    return b"".join(pages)


async def upload(client, content: bytes, filename: str, content_type: str = "audio/mpeg"):
    page = await client.get(f"/workspace/content/{SLUG}")
    return await client.post(f"/workspace/content/{SLUG}/audio", data={"_csrf_token": csrf_token(page.text)},
                             files={"data": (filename, content, content_type)})


def stored_files(folder) -> set[str]:
    return {p.name for p in folder.glob(f"{SLUG}-*")} if folder.is_dir() else set()


async def test_an_mp3_of_the_right_length_is_stored_under_our_name_and_named_in_the_draft(actors, editor, audio_dir):
    response = await upload(editor, mp3(182), "../../etc/calm voice.mp3")
    assert response.status_code == 200
    assert re.search(r"3:0[12]", response.text)  # 182 s requested; whole frames make it 181.6 s
    assert "fits the steps" in response.text or "passer til trinnene" in response.text
    [name] = stored_files(audio_dir)
    assert name.startswith(f"{SLUG}-") and name.endswith(".mp3") and "etc" not in name
    another_editor = await actors.editor()
    assert name in (await another_editor.get(f"/workspace/content/{SLUG}")).text


async def test_a_recording_that_does_not_fit_the_steps_is_kept_with_a_warning(editor, audio_dir):
    response = await upload(editor, ogg(60), "short.ogg", "audio/ogg")
    new = stored_files(audio_dir)
    assert response.status_code == 200 and "1:00" in response.text and "3:00" in response.text
    assert len(new) == 1 and next(iter(new)).endswith(".ogg")


async def test_files_that_are_not_recordings_are_refused_whatever_their_name(editor, audio_dir):
    pdf = await upload(editor, b"%PDF-1.7\n" + bytes(2000), "voice.mp3")
    assert pdf.status_code == 400 and ("not an MP3" in pdf.text or "ikke en MP3" in pdf.text)
    broken = await upload(editor, b"OggS" + bytes(3000), "voice.ogg", "audio/ogg")
    assert broken.status_code == 400
    big = await upload(editor, b"ID3" + bytes(31 * 1024 * 1024), "long.mp3")
    assert big.status_code == 413
    assert stored_files(audio_dir) == set()
    assert not list(audio_dir.glob(".upload-*"))  # nothing half-written is left behind
