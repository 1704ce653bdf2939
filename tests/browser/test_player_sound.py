"""Guided by sound, with the screen off: what Chromium can show of it.

The bells ring (the page's own <audio> elements play) at each new step and at the end, a near-silent loop
plays while the practice runs, the practice's title and state are on the lock screen (Media Session), the
screen is kept awake (Wake Lock) and a refusal of it changes nothing else, her "sound off" is kept and
respected, the sounds are in the service worker's cache and ring offline, and read-aloud picks a voice in
her language. Whether a locked phone really keeps ringing cannot be shown here (README, "Guided by sound").
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import poll
from tests.browser.test_patient_flow import SHORT, enrol_in_danish

pytestmark = pytest.mark.browser

# Every play of the page's audio elements, with whether it was muted (the silent priming inside her tap
# on Start is muted; a bell she hears is not).
LISTEN = """() => {
  window.__plays = [];
  for (const el of document.querySelectorAll('audio[data-bell], audio[data-bell-end], audio[data-carrier]')) {
    const name = Object.keys(el.dataset)[0];
    el.addEventListener('play', () => window.__plays.push({ name, muted: el.muted }));
  }
}"""
HEARD = "(name) => window.__plays.filter(p => p.name === name && !p.muted).length"
PLAYER = "document.querySelector('[data-player]')"

# Counts the page's requests for a screen wake lock (the real request still happens).
SPY_ON_WAKE_LOCK = """
  window.__wakeRequests = 0;
  if (navigator.wakeLock) {
    const request = navigator.wakeLock.request.bind(navigator.wakeLock);
    navigator.wakeLock.request = (type) => { window.__wakeRequests += 1; return request(type); };
  }
"""
REFUSE_WAKE_LOCK = """
  window.__wakeRequests = 0;
  Object.defineProperty(navigator, 'wakeLock', { configurable: true, value: { request: () => {
    window.__wakeRequests += 1;
    return Promise.reject(new DOMException('battery saver', 'NotAllowedError'));
  } } });
"""


def steps_of(live_server, slug: str) -> int:
    return live_server.query(
        "SELECT json_array_length(json_extract(v.data, '$.steps')) FROM content_version v "
        "JOIN content_item i ON i.published_version = v.id WHERE i.slug = ?", slug)[0][0]


def title_of(live_server, slug: str, lang: str = "da") -> str:
    return live_server.query(
        f"SELECT json_extract(v.data, '$.title.{lang}') FROM content_version v "
        "JOIN content_item i ON i.published_version = v.id WHERE i.slug = ?", slug)[0][0]


def open_player(page, live_server, slug: str = SHORT) -> None:
    page.goto(f"{live_server.url}/exercises/{slug}/play")
    page.wait_for_selector("[data-stage]:not([hidden])")
    page.evaluate(LISTEN)


def test_it_rings_at_each_new_step_and_at_the_end_with_her_practice_on_the_lock_screen(page, live_server):
    page.add_init_script(SPY_ON_WAKE_LOCK)
    enrol_in_danish(page, live_server)
    open_player(page, live_server)
    assert page.text_content("[data-action=back]").strip() == "Forrige trin"
    assert page.text_content("[data-action=skip]").strip() == "Næste trin"
    assert page.is_checked("[data-sound]"), "the bell is on until she turns it off"
    assert page.evaluate(HEARD, "bell") == 0 and page.evaluate(HEARD, "carrier") == 0, "nothing before her tap"

    page.click("[data-action=toggle]")
    session = poll(page, "(s => s.playbackState === 'playing' && s.metadata"
                         " && {title: s.metadata.title, artist: s.metadata.artist})(navigator.mediaSession)")
    assert session == {"title": title_of(live_server, SHORT), "artist": "Pusterum"}
    assert poll(page, f"{PLAYER}.dataset.wakeLock") in ("held", "refused")
    assert page.evaluate("window.__wakeRequests") >= 1
    assert poll(page, HEARD, "carrier") == 1, "the near-silent loop plays while she practises"

    page.wait_for_selector("[data-end]:not([hidden])", timeout=15000)
    assert poll(page, HEARD, "bellEnd") == 1
    assert page.evaluate(HEARD, "bell") == steps_of(live_server, SHORT) - 1, "one bell for each new step"
    assert page.evaluate("document.querySelector('[data-carrier]').paused"), "the loop stops with the practice"
    assert page.evaluate(f"{PLAYER}.dataset.wakeLock") in ("released", "refused"), "the screen may sleep again"
    assert page.evaluate("navigator.mediaSession.metadata") is None
    assert page.problems == []


def test_pausing_stops_the_loop_and_lets_the_screen_sleep(page, live_server):
    enrol_in_danish(page, live_server)
    open_player(page, live_server, "body-scan-10")
    page.click("[data-action=toggle]")
    held = poll(page, f"{PLAYER}.dataset.wakeLock")
    poll(page, "!document.querySelector('[data-carrier]').paused")
    page.click("[data-action=toggle]")  # pause
    assert poll(page, "document.querySelector('[data-carrier]').paused")
    assert page.evaluate("navigator.mediaSession.playbackState") == "paused"
    if held == "held":
        assert page.evaluate(f"{PLAYER}.dataset.wakeLock") == "released"
    page.click("[data-action=toggle]")  # resume: asked for again
    poll(page, "!document.querySelector('[data-carrier]').paused")
    assert poll(page, f"{PLAYER}.dataset.wakeLock === {held!r}")


def test_a_refused_wake_lock_changes_nothing_else(page, live_server):
    page.add_init_script(REFUSE_WAKE_LOCK)
    enrol_in_danish(page, live_server)
    open_player(page, live_server)
    page.click("[data-action=toggle]")
    assert poll(page, f"{PLAYER}.dataset.wakeLock") == "refused"
    page.wait_for_selector("[data-end]:not([hidden])", timeout=15000)
    assert page.evaluate("window.__wakeRequests") >= 1
    assert page.evaluate(HEARD, "bell") == steps_of(live_server, SHORT) - 1
    assert page.problems == []


def test_sound_off_is_remembered_and_no_bell_rings(page, live_server):
    enrol_in_danish(page, live_server)
    open_player(page, live_server)
    page.uncheck("[data-sound]")
    open_player(page, live_server)  # a later practice
    assert not page.is_checked("[data-sound]"), "her choice is kept on the phone"
    page.click("[data-action=toggle]")
    page.wait_for_selector("[data-end]:not([hidden])", timeout=15000)
    assert page.evaluate(HEARD, "bell") == 0 and page.evaluate(HEARD, "bellEnd") == 0
    assert page.evaluate(HEARD, "carrier") == 0, "no sound at all is wanted, so no loop either"
    open_player(page, live_server)
    page.check("[data-sound]")
    open_player(page, live_server)
    assert page.is_checked("[data-sound]"), "and so is turning it on again"


def test_the_sounds_are_in_the_offline_cache_and_ring_offline(context, page, live_server):
    enrol_in_danish(page, live_server)
    open_player(page, live_server)
    poll(page, "navigator.serviceWorker.controller !== null")
    cached = poll(page, """async () => {
        const names = ['bell.mp3', 'bell-end.mp3', 'carrier.mp3'];
        for (const key of await caches.keys()) {
            if (!key.startsWith('pusterum-precache')) continue;
            const urls = (await (await caches.open(key)).keys()).map(r => new URL(r.url).pathname);
            const found = names.filter(n => urls.includes('/static/sounds/' + n));
            if (found.length === names.length) return found;
        }
        return null;
    }""")
    assert cached == ["bell.mp3", "bell-end.mp3", "carrier.mp3"]
    context.set_offline(True)
    try:
        open_player(page, live_server)
        page.click("[data-action=toggle]")
        page.wait_for_selector("[data-end]:not([hidden])", timeout=15000)
        assert poll(page, HEARD, "bellEnd") == 1
        assert page.evaluate(HEARD, "bell") == steps_of(live_server, SHORT) - 1
        errors = page.evaluate("[...document.querySelectorAll('audio[data-bell], audio[data-bell-end]')]"
                               ".map(a => a.error && a.error.code)")
        assert errors == [None, None], "the bells load from the phone's copy"
    finally:
        context.set_offline(False)


FAKE_VOICES = """(voices) => {
  window.__spoken = [];
  window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
  speechSynthesis.getVoices = () => voices;
  speechSynthesis.speak = (u) => window.__spoken.push({ voice: u.voice && u.voice.name, lang: u.lang });
  speechSynthesis.dispatchEvent(new Event('voiceschanged'));
}"""


def test_read_aloud_speaks_in_a_danish_voice_or_quietly_says_there_is_none(page, live_server):
    enrol_in_danish(page, live_server)
    page.goto(f"{live_server.url}/exercises/{SHORT}/play")
    page.wait_for_selector("[data-read-aloud-wrap]:not([hidden])")
    page.evaluate(FAKE_VOICES, [{"name": "Daniel", "lang": "en-GB"}, {"name": "Dansk", "lang": "da"},
                                {"name": "Sara", "lang": "da-DK"}])
    page.check("[data-read-aloud]")
    assert page.evaluate("window.__spoken") == [{"voice": "Sara", "lang": "da-DK"}]
    assert page.is_hidden("[data-voice-note]")

    page.goto(f"{live_server.url}/exercises/{SHORT}/play")
    page.wait_for_selector("[data-read-aloud-wrap]:not([hidden])")
    page.evaluate(FAKE_VOICES, [{"name": "Daniel", "lang": "en-GB"}, {"name": "Samantha", "lang": "en-US"}])
    page.check("[data-read-aloud]")
    assert page.evaluate("window.__spoken") == [], "her Danish text is never read by an English voice"
    assert page.is_visible("[data-voice-note]")


def test_the_voice_is_chosen_by_her_language(page, live_server):
    page.goto(f"{live_server.url}/support")
    picks = page.evaluate("""async () => {
        const { pickVoice } = await import('/static/js/guidance.js');
        const v = (lang, name) => ({ lang, name });
        return [
            pickVoice([v('en-US', 'a'), v('da', 'b'), v('da-DK', 'c')], 'da')?.name,
            pickVoice([v('en-US', 'a'), v('da_DK', 'b')], 'da')?.name,
            pickVoice([v('en-US', 'a'), v('da', 'b')], 'da')?.name,
            pickVoice([v('en-US', 'a'), v('nb-NO', 'b')], 'da'),
            pickVoice([v('da-DK', 'a'), v('en-US', 'b'), v('en-GB', 'c')], 'en')?.name,
            pickVoice([v('da-DK', 'a'), v('en-AU', 'b')], 'en')?.name,
            pickVoice([v('da-DK', 'a')], 'en'),
        ];
    }""")
    assert picks == ["c", "b", "b", None, "c", "b", None]
