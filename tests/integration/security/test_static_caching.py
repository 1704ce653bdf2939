"""Static files: a year-long ``immutable`` only where the URL's ``?v=`` is the file's own content hash.

ASVS 4.0.3 checked here: 14.4 (the HTTP headers of every answer are exact: a cache header promises only what
is true) and 8.2.1 (what a shared cache may keep): anyone can ask for ``/static/js/app.js?v=<tomorrow's hash>``
through the hospital's proxy, and an ``immutable`` answer would pin today's file under the URL tomorrow's pages
use, for a year.
"""

from __future__ import annotations

import re

import pytest

from server.lib.templates import static_digest, static_url
from server.pwa.assets import service_worker

IMMUTABLE = "public, max-age=31536000, immutable"


async def test_the_real_content_hash_is_cached_for_a_year(outsider):
    """ASVS 14.4: the URL a page links to (static_url) is immutable, and it is the hash of the bytes served."""
    page = await outsider.get("/support")
    url = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', page.text).group(1)
    asset = await outsider.get(url)
    assert asset.status_code == 200 and asset.headers["cache-control"] == IMMUTABLE
    assert url == static_url("css/app.css") and url.endswith(f"?v={static_digest('css/app.css')}")
    head = await outsider.head(url)
    assert head.headers["cache-control"] == IMMUTABLE


@pytest.mark.parametrize("query", [
    "v=000000000000",  # a future (or made-up) hash
    "v=",
    "v=tomorrow",
    "v={js}",  # another file's real hash
    "v={css}&v=000000000000",  # the right hash, and a second one
    "v={css}x",
])
async def test_any_other_version_gets_the_file_without_a_long_cache(outsider, query):
    """ASVS 14.4, 8.2.1: a guessed or borrowed ``v`` cannot pin today's file in a shared cache."""
    url = "/static/css/app.css?" + query.format(css=static_digest("css/app.css"), js=static_digest("js/app.js"))
    asset = await outsider.get(url)
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "no-cache"
    assert "immutable" not in asset.headers["cache-control"] and "max-age" not in asset.headers["cache-control"]


async def test_the_service_workers_modules_are_linked_with_their_real_hash(app, outsider):
    """ASVS 14.4: the modules sw.js imports carry the same ``v`` as pages use, so they stay immutable."""
    modules = service_worker(app)
    config = (await outsider.get("/sw.js")).text
    for url in re.findall(r'"(/static/js/[^"]+\?v=[0-9a-f]+)"', config):
        assert (await outsider.get(url)).headers["cache-control"] == IMMUTABLE, url
    assert modules.version


def test_a_changed_file_is_no_longer_immutable_under_its_old_hash(tmp_path, monkeypatch):
    """ASVS 8.2.1: the hash is of the file as it is now (a deploy that replaced it in place included)."""
    from server.lib import templates

    monkeypatch.setattr(templates, "PWA_DIR", tmp_path)
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "app.css"
    sheet.write_text("body { color: black }")
    before = static_digest("css/app.css")
    sheet.write_text("body { color: navy; }")
    after = static_digest("css/app.css")
    assert before and after and before != after
    assert static_digest("../outside.css") is None and static_digest("css") is None
