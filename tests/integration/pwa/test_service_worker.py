"""The service worker script: checked on every navigation, so an unchanged one costs a 304, not a download."""

from __future__ import annotations

from tests.support import app_client


async def test_an_unchanged_worker_is_answered_with_304(app, db):
    async with app_client(app) as client:
        first = await client.get("/sw.js")
        assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
        etag = first.headers["etag"]
        assert etag.startswith('"') and len(first.content) > 1000
        again = await client.get("/sw.js", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        other = await client.get("/sw.js", headers={"If-None-Match": '"an-older-deploy"'})
        assert other.status_code == 200 and other.content == first.content
