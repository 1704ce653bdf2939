"""What a participant reads: library filters, the exercise page, the player, support, language."""

from __future__ import annotations

import json
import re

import msgspec

from server.content.catalog import get_catalog
from tests.support import app_client, enrol


async def test_it_lists_only_patient_exercises_for_a_patient(app, db):
    async with app_client(app) as client:
        await enrol(client, lang="en")
        page = await client.get("/library")
    titles = set(re.findall(r'card-title">([^<]+)<', page.text))
    catalog = get_catalog()
    expected = {e.title["en"] for e in catalog.exercises.values() if "patient" in e.audience}
    staff_only = {e.title["en"] for e in catalog.exercises.values() if e.audience == ("staff",)}
    assert titles == expected
    assert staff_only and not titles & staff_only


async def test_it_filters_the_library_by_kind_duration_and_situation(app, db):
    async with app_client(app) as client:
        await enrol(client, lang="en")
        page = await client.get("/library", params={"kind": "pain_coping", "duration": "short"})
        tagged = await client.get("/library", params={"tag": "sleep"})
    catalog = get_catalog()
    titles = set(re.findall(r'card-title">([^<]+)<', page.text))
    assert titles == {e.title["en"] for e in catalog.exercises.values()
                      if e.kind == "pain_coping" and e.minutes <= 5 and "patient" in e.audience}
    sleep = set(re.findall(r'card-title">([^<]+)<', tagged.text))
    assert sleep and sleep == {e.title["en"] for e in catalog.exercises.values()
                               if "sleep" in e.tags and "patient" in e.audience}


async def test_it_ignores_unknown_filter_values(app, db):
    async with app_client(app) as client:
        await enrol(client)
        page = await client.get("/library", params={"kind": "<script>", "duration": "forever"})
    assert page.status_code == 200
    assert "<script>" not in page.text.split("</header>", 1)[1].replace('<script type="application/json"', "")


async def test_it_shows_a_pain_coping_module_with_its_contact_us_block(app, db):
    slug = next(s for s, e in get_catalog().exercises.items() if e.kind == "pain_coping")
    async with app_client(app) as client:
        await enrol(client, lang="da")
        page = await client.get(f"/exercises/{slug}")
    assert page.status_code == 200
    assert "contact-if" in page.text
    for item in get_catalog().exercises[slug].contact_if["da"]:
        assert item.replace("'", "&#39;").replace('"', "&#34;") in page.text


async def test_it_gives_the_player_every_step_in_her_language(app, db):
    exercise = get_catalog().exercises["one-minute-landing"]
    async with app_client(app) as client:
        await enrol(client, lang="en")
        page = await client.get("/exercises/one-minute-landing/play")
    config = json.loads(re.search(r"data-player-config>(.*?)</script>", page.text, re.S).group(1))
    assert config["texts"] == [s.text["en"] for s in exercise.steps]
    assert config["steps"] == [s.seconds for s in exercise.steps]
    assert config["breathing"] == [s.breathing and msgspec.to_builtins(s.breathing) for s in exercise.steps]
    assert any(config["breathing"])  # a guide, written as JSON for the player's script
    assert config["timeScale"] == 1.0
    assert f'data-version="{exercise.version_id}"' in page.text


async def test_it_answers_404_for_an_unknown_exercise_in_her_language(app, db):
    async with app_client(app) as client:
        await enrol(client, lang="en")
        page = await client.get("/exercises/no-such-thing")
    assert page.status_code == 404
    assert "We could not find that page" in page.text
    assert '<html lang="en">' in page.text


async def test_it_hides_staff_pauses_from_patients(app, db):
    slug = next(s for s, e in get_catalog().exercises.items() if e.audience == ("staff",))
    async with app_client(app) as client:
        await enrol(client)
        page = await client.get(f"/exercises/{slug}")
    assert page.status_code == 404


async def test_it_shows_support_to_anyone_with_112_first(app, db):
    async with app_client(app) as client:
        page = await client.get("/support", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "No one at the hospital follows along" in page.text
    assert page.text.index('href="tel:112"') < page.text.index("res-crisis")


async def test_it_links_support_and_says_no_one_follows_along_on_every_page(app, db):
    async with app_client(app) as client:
        await enrol(client, lang="en")
        for path in ("/home", "/library", "/exercises/one-minute-landing", "/exercises/one-minute-landing/play",
                     "/settings", "/about", "/support"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert 'href="/support"' in page.text, path
            assert "No one at the hospital follows along while you use Pusterum" in page.text, path
            words = re.sub(r"<[^>]+>", " ", page.text).replace("not monitored. Nobody sees", "")  # support: i15-support
            assert "monitored" not in words, path  # no surveillance words in what she reads


async def test_it_sends_strict_security_headers(app, db):
    """ASVS 14.4.3, 14.4.4, 14.4.6, 14.4.7: a strict CSP, nosniff, no referrer, no framing, on every answer."""
    async with app_client(app) as client:
        page = await client.get("/")
        missing = await client.get("/no/such/page")
    for response in (page, missing):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in csp


async def test_it_has_no_inline_scripts_or_styles(app, db):
    """ASVS 14.4.3: nothing inline, so the CSP needs no unsafe-inline."""
    async with app_client(app) as client:
        await enrol(client)
        for path in ("/", "/home", "/library", "/exercises/one-minute-landing/play", "/support"):
            html = (await client.get(path)).text
            for tag in re.findall(r"<script\b[^>]*>", html):
                assert 'src="' in tag or 'type="application/json"' in tag, (path, tag)
            assert " style=" not in html, path
            assert " hx-on" not in html, path


async def test_it_compresses_pages_and_caches_static_files_for_a_year(app, db):
    async with app_client(app) as client:
        page = await client.get("/support", headers={"accept-encoding": "gzip"})
        css = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', page.text).group(1)
        asset = await client.get(css)
        module = await client.get("/static/js/outbox.js")  # imported by app.js without a version
    assert page.headers["content-encoding"] == "gzip"
    assert asset.status_code == 200
    assert "immutable" in asset.headers["cache-control"] and "max-age=31536000" in asset.headers["cache-control"]
    assert module.status_code == 200
    assert module.headers["cache-control"] == "no-cache"
    assert "last-modified" in module.headers or "etag" in module.headers


async def test_it_remembers_a_visitors_language_choice(app, db):
    from tests.support import csrf_token

    async with app_client(app) as client:
        start = await client.get("/", headers={"accept-language": "da"})
        assert '<html lang="da">' in start.text
        await client.post("/language", data={"_csrf_token": csrf_token(start.text), "lang": "en", "next": "/"})
        again = await client.get("/", headers={"accept-language": "da"})
    assert '<html lang="en">' in again.text
