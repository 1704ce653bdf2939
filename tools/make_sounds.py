"""Synthesises the player's own sounds with only the standard library, so no audio package is needed.

- ``bell``: one soft strike of a small bell, rung at each step change (about 2 seconds).
- ``bell-end``: two lower strikes, rung when the practice ends.
- ``carrier``: an 8-second, near-silent loop the player keeps playing while a practice runs, so that the
  phone treats the page as playing sound: the bells then still ring with the screen locked where the
  platform allows it (see the README, "Guided by sound"). It is a 40 Hz hum at -56 dBFS: phone speakers do
  not reproduce it and ears barely hear it at full volume, but it is not digital silence, which Chrome
  does not count as playing sound.

Each is a partial sum of decaying sines (a struck bell's inharmonic partials), written as 16-bit mono WAV
and, when the ``lame`` encoder is on the machine (Debian: ``apt-get install lame``), encoded to a small
MP3, which every browser we serve plays. Without lame the WAV is kept instead (larger, same sound).

Run: python tools/make_sounds.py (writes pwa/sounds/*).
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
from pathlib import Path
from typing import NamedTuple

OUT = Path(__file__).resolve().parent.parent / "pwa" / "sounds"
RATE = 16000  # a bell's partials here stay under 4 kHz; 16 kHz keeps MP3 frames small


class Partial(NamedTuple):
    ratio: float  # to the fundamental
    level: float  # relative amplitude at the strike
    decay: float  # seconds to fall to 1/e


# A small bell's partials are not harmonic (2.76 and 5.40 are those of a struck bar); the slightly
# detuned twin of the fundamental gives the slow shimmer of a real bell instead of a pure beep.
BELL = (Partial(1.0, 1.0, 1.4), Partial(1.004, 0.5, 1.2), Partial(2.0, 0.18, 0.7), Partial(2.76, 0.22, 0.45),
        Partial(5.40, 0.07, 0.18))
ATTACK_S = 0.006  # a short ramp in: no click at the strike


def strike(fundamental: float, seconds: float, peak: float, rate: int = RATE) -> list[float]:
    """One strike: the decaying partials, scaled so the loudest sample is ``peak`` (of full scale)."""
    samples = []
    for i in range(int(seconds * rate)):
        t = i / rate
        value = sum(p.level * math.exp(-t / p.decay) * math.sin(2 * math.pi * fundamental * p.ratio * t)
                    for p in BELL)
        samples.append(value * min(1.0, t / ATTACK_S))
    return _faded(_scaled(samples, peak), rate)


def _scaled(samples: list[float], peak: float) -> list[float]:
    loudest = max(abs(s) for s in samples) or 1.0
    return [s * peak / loudest for s in samples]


def _faded(samples: list[float], rate: int, seconds: float = 0.15) -> list[float]:
    """The last moments faded to zero, so the file never ends on a click."""
    n = min(len(samples), int(seconds * rate))
    return samples[:-n] + [s * (n - 1 - k) / n for k, s in enumerate(samples[-n:])] if n else samples


def mix(length_s: float, strikes: list[tuple[float, list[float]]], rate: int = RATE) -> list[float]:
    """Strikes laid on one track at their start times (seconds)."""
    track = [0.0] * int(length_s * rate)
    for start, samples in strikes:
        offset = int(start * rate)
        for k, s in enumerate(samples[: len(track) - offset]):
            track[offset + k] += s
    return track


def hum(seconds: float, frequency: float, dbfs: float, rate: int = RATE) -> list[float]:
    """A steady sine at ``dbfs`` (peak) of whole periods, so the loop joins without a click."""
    amplitude = 10 ** (dbfs / 20)
    periods = round(seconds * frequency)
    n = round(periods * rate / frequency)
    return [amplitude * math.sin(2 * math.pi * frequency * i / rate) for i in range(n)]


def sounds() -> dict[str, list[float]]:
    step = strike(587.33, 2.2, 0.35)  # D5, soft: a third of full scale
    end_one, end_two = strike(440.0, 2.6, 0.35), strike(392.0, 3.2, 0.35)  # A4 then G4: settling, not alarming
    return {
        "bell": step,
        "bell-end": mix(4.6, [(0.0, end_one), (1.4, end_two)]),
        "carrier": hum(8.0, 40.0, -56.0),
    }


def wav_bytes(samples: list[float], rate: int = RATE) -> bytes:
    """16-bit mono PCM WAV."""
    frames = b"".join(struct.pack("<h", max(-32767, min(32767, round(s * 32767)))) for s in samples)
    with tempfile.TemporaryFile() as handle:
        with wave.open(handle, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(frames)
        handle.seek(0)
        return handle.read()


# kbps per sound: the bells keep their shimmer at 24; the hum needs nothing more than the lowest rate.
BITRATES = {"bell": 24, "bell-end": 24, "carrier": 8}


def encode(name: str, wav: bytes, out: Path) -> Path:
    """MP3 through lame when it is installed (constant bit rate; the quiet hum survives it: its test
    decodes the file), else the WAV itself."""
    lame = shutil.which("lame")
    if lame is None:
        target = out / f"{name}.wav"
        target.write_bytes(wav)
        return target
    target = out / f"{name}.mp3"
    with tempfile.NamedTemporaryFile(suffix=".wav") as source:
        source.write(wav)
        source.flush()
        subprocess.run([lame, "--quiet", "--noreplaygain", "-m", "m", "--cbr", "-b",
                        str(BITRATES[name]), "--resample", str(RATE // 1000), source.name, str(target)], check=True)
    return target


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, samples in sounds().items():
        path = encode(name, wav_bytes(samples), OUT)
        print(f"{path.relative_to(OUT.parent.parent)}: {path.stat().st_size} bytes, {len(samples) / RATE:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
