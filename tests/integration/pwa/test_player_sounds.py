"""The player's own sounds: named on the player page by their hashed static URLs, served as audio under the
strict CSP, and in the service worker's precache (so the bells ring offline and a new sound is a new worker)."""

from __future__ import annotations

import hashlib
import json
import re

from server.lib.templates import PWA_DIR, static_url
from server.lib.web import CSP
from tests.support import app_client, enrol

SOUNDS = ("sounds/bell.mp3", "sounds/bell-end.mp3", "sounds/carrier.mp3")


def _worker_config(source: str) -> dict:
    config, _ = json.JSONDecoder().raw_decode(source, source.index("const CONFIG = ") + len("const CONFIG = "))
    return config


async def test_the_sounds_are_precached_with_the_script_that_plays_them(app, db):
    async with app_client(app) as client:
        config = _worker_config((await client.get("/sw.js")).text)
    precache = {p["url"]: p["revision"] for p in config["precache"]}
    for name in (*SOUNDS, "js/guidance.js"):
        revision = hashlib.blake2b((PWA_DIR / name).read_bytes(), digest_size=8).hexdigest()
        assert precache.get(f"/static/{name}") == revision, f"{name} is not precached as it is now"


async def test_the_player_names_its_sounds_and_they_are_served_as_audio_of_our_own(app, db):
    async with app_client(app) as client:
        await enrol(client, lang="da")
        page = await client.get("/exercises/one-minute-landing/play")
        sources = dict(re.findall(r'<audio (data-[a-z-]+)[^>]*src="([^"]+)"', page.text))
        assert set(sources) == {"data-bell", "data-bell-end", "data-carrier"}
        for src in sources.values():
            assert re.fullmatch(r"/static/sounds/[a-z-]+\.mp3\?v=[0-9a-f]+", src), src
            sound = await client.get(src)
            assert sound.status_code == 200 and sound.headers["content-type"] == "audio/mpeg"
            assert "immutable" in sound.headers["cache-control"]
            assert sound.content[:3] == b"ID3" or sound.content[0] == 0xFF  # an MP3 stream
    assert "Forrige trin" in page.text and "Næste trin" in page.text
    assert "media-src 'self';" in CSP and page.headers["content-security-policy"] == CSP
    unloaded = re.findall(r'<audio data-[a-z-]+ (?:loop )?preload="none"', page.text)
    assert len(unloaded) == 3, "nothing is fetched before Start"
    config = json.loads(re.search(r"data-player-config>(.*?)</script>", page.text, re.S).group(1))
    assert config["title"] == "Et minut til at lande"


async def test_a_sound_is_served_by_byte_range_as_ios_safari_asks_for_it(app, db):
    whole = (PWA_DIR / "sounds" / "bell.mp3").read_bytes()
    size = len(whole)
    async with app_client(app) as client:
        client.headers["accept-encoding"] = "identity;q=1, *;q=0"  # what a browser's media request says
        url = static_url("sounds/bell.mp3")  # as the player names it
        probe = await client.get(url, headers={"Range": "bytes=0-1"})  # Safari's first question
        assert probe.status_code == 206 and probe.content == whole[:2]
        assert probe.headers["content-range"] == f"bytes 0-1/{size}" and probe.headers["accept-ranges"] == "bytes"
        assert probe.headers["content-length"] == "2" and probe.headers["content-type"] == "audio/mpeg"
        assert "immutable" in probe.headers["cache-control"]
        tail = await client.get(url, headers={"Range": "bytes=-100"})
        assert tail.status_code == 206 and tail.content == whole[-100:]
        rest = await client.get(url, headers={"Range": f"bytes={size - 10}-"})
        assert rest.status_code == 206 and rest.content == whole[-10:]
        beyond = await client.get(url, headers={"Range": f"bytes={size}-"})
        assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
        plain = await client.get(url)
        assert plain.status_code == 200 and plain.content == whole
        several = await client.get(url, headers={"Range": "bytes=0-1,5-9"})  # not one range: the whole file
        assert several.status_code == 200 and several.content == whole
        missing = await client.get("/static/sounds/no-such.mp3", headers={"Range": "bytes=0-1"})
        assert missing.status_code == 404
        # Asked by something that takes gzip: compressed bytes cannot be counted as the file's, so the whole.
        gzipped = await client.get(url, headers={"Range": "bytes=0-1", "Accept-Encoding": "gzip"})
        assert gzipped.status_code == 200 and gzipped.content == whole
