"""Exercise audio is served whole or by byte range (iOS needs ranges), and nothing else is served."""

from __future__ import annotations

import dataclasses

import msgspec
import pytest

from server.content import catalog as catalog_module
from server.content import media
from tests.support import app_client

AUDIO = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def with_audio(tmp_path, monkeypatch, db):
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "calm.ogg").write_bytes(AUDIO)
    (tmp_path / "audio" / "secret.ogg").write_bytes(b"not published")
    settings = dataclasses.replace(media.get_settings(), content_dir=tmp_path)
    monkeypatch.setattr(media, "get_settings", lambda: settings)
    current = catalog_module.get_catalog()
    slug = next(iter(current.exercises))
    exercises = {**current.exercises, slug: msgspec.structs.replace(current.exercises[slug], audio="calm.ogg")}
    monkeypatch.setattr(media, "get_catalog", lambda: dataclasses.replace(current, exercises=exercises))


async def test_it_serves_the_whole_file_and_says_it_accepts_ranges(app, with_audio):
    async with app_client(app) as client:
        response = await client.get("/audio/calm.ogg")
    assert response.status_code == 200
    assert response.content == AUDIO
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-type"].startswith("audio/ogg")


@pytest.mark.parametrize(("header", "start", "end"), [("bytes=0-99", 0, 99), ("bytes=10000-", 10000, 10239),
                                                      ("bytes=-240", 10000, 10239), ("bytes=5000-99999", 5000, 10239)])
async def test_it_serves_byte_ranges(app, with_audio, header, start, end):
    async with app_client(app) as client:
        response = await client.get("/audio/calm.ogg", headers={"range": header})
    assert response.status_code == 206
    assert response.content == AUDIO[start:end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(AUDIO)}"


async def test_it_refuses_a_range_past_the_end(app, with_audio):
    async with app_client(app) as client:
        response = await client.get("/audio/calm.ogg", headers={"range": "bytes=20000-"})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(AUDIO)}"


@pytest.mark.parametrize("name", ["secret.ogg", "..%2F..%2Fpyproject.toml", "%2e%2e"])
async def test_it_serves_only_audio_that_published_content_names(app, with_audio, name):
    async with app_client(app) as client:
        response = await client.get(f"/audio/{name}")
    assert response.status_code == 404
