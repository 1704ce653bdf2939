"""tools/make_sounds.py: the player's bells start without a click and fade to nothing, the loop is near-silent
yet not silence and joins without a click, and the committed files are the small ones the README promises."""

from __future__ import annotations

import io
import itertools
import math
import shutil
import struct
import subprocess
import wave

import pytest

from server.lib.templates import PWA_DIR
from tools import make_sounds


def _rms(samples: list[float]) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def _dbfs(value: float) -> float:
    return 20 * math.log10(value)


def test_it_strikes_a_soft_bell_that_fades_to_nothing():
    rate = make_sounds.RATE
    bell = make_sounds.strike(587.33, 2.2, 0.35)
    assert max(abs(s) for s in bell) == pytest.approx(0.35)
    assert abs(bell[0]) < 0.01 and abs(bell[1]) < 0.02, "a short ramp in: no click at the strike"
    assert bell[-1] == 0.0, "faded out: no click at the end"
    first, last = _rms(bell[: rate // 4]), _rms(bell[-rate // 4:])
    assert last < first / 4, "it decays like a bell, not a beep"


def test_the_end_bell_has_two_strikes():
    rate = make_sounds.RATE
    end = make_sounds.sounds()["bell-end"]
    envelope = [_rms(end[i: i + rate // 10]) for i in range(0, len(end) - rate // 10, rate // 10)]
    rises = [i for i in range(1, len(envelope)) if envelope[i] > 2 * envelope[i - 1]]
    assert [round(i / 10, 1) for i in rises] == [1.4]


def test_the_loop_is_near_silent_but_not_silence_and_joins_without_a_click():
    hum = make_sounds.sounds()["carrier"]
    assert _dbfs(max(abs(s) for s in hum)) == pytest.approx(-56, abs=0.2)
    step = max(abs(b - a) for a, b in itertools.pairwise(hum))
    assert abs(hum[0] - hum[-1]) <= step * 1.01, "the last sample leads into the first like any other"
    assert len(hum) / make_sounds.RATE >= 5, "Chrome shows lock-screen controls only for media over 5 seconds"


def test_it_writes_16_bit_mono_wav():
    data = make_sounds.wav_bytes([0.0, 0.5, -0.5, 1.5])
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 16000, 4)
        assert struct.unpack("<4h", w.readframes(4)) == (0, 16384, -16384, 32767)  # clipped, never wrapped


def test_the_committed_sounds_are_a_few_kilobytes_each():
    sizes = {p.name: p.stat().st_size for p in (PWA_DIR / "sounds").iterdir()}
    assert set(sizes) == {"bell.mp3", "bell-end.mp3", "carrier.mp3"}
    assert all(size < 16_000 for size in sizes.values()), sizes
    assert sum(sizes.values()) < 32_000


@pytest.mark.skipif(shutil.which("lame") is None, reason="lame is not installed (apt-get install lame)")
def test_the_committed_loop_still_hums_after_encoding(tmp_path):
    """An encoder may drop a sound it judges inaudible; Chrome would then see silence and slow the page."""
    out = tmp_path / "carrier.wav"
    subprocess.run(["lame", "--quiet", "--decode", str(PWA_DIR / "sounds" / "carrier.mp3"), str(out)], check=True)
    with wave.open(str(out)) as w:
        frames = w.readframes(w.getnframes())
    samples = [s / 32768 for s in struct.unpack(f"<{len(frames) // 2}h", frames)]
    assert -64 < _dbfs(_rms(samples)) < -54
