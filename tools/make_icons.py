"""Draws the app icons as PNG with only the standard library (zlib), so no imaging package is needed.

The mark: a calm ring with a dot on the brand green. Maskable icons keep the mark inside the 80 % safe zone.
Run: python tools/make_icons.py (writes pwa/icons/*.png).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

GREEN = (46, 107, 102)
CREAM = (244, 239, 230)
OUT = Path(__file__).resolve().parent.parent / "pwa" / "icons"


def _png(size: int, pixels: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + pixels[y * size * 3:(y + 1) * size * 3] for y in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _coverage(distance: float, edge: float) -> float:
    """Anti-aliasing: how much of a pixel at ``distance`` lies inside ``edge``."""
    return max(0.0, min(1.0, edge - distance + 0.5))


def icon(size: int, scale: float) -> bytes:
    c = (size - 1) / 2
    ring_outer, ring_inner, dot = 0.27 * size * scale, 0.20 * size * scale, 0.11 * size * scale
    out = bytearray()
    for y in range(size):
        for x in range(size):
            d = ((x - c) ** 2 + (y - c) ** 2) ** 0.5
            ring = min(_coverage(d, ring_outer), 1 - _coverage(d, ring_inner))
            a = max(ring, _coverage(d, dot))
            out += bytes(round(GREEN[i] * (1 - a) + CREAM[i] * a) for i in range(3))
    return _png(size, bytes(out))


if __name__ == "__main__":
    for name, size, scale in (("icon-192.png", 192, 1.0), ("icon-512.png", 512, 1.0),
                              ("icon-maskable-512.png", 512, 0.8), ("apple-touch-icon.png", 180, 0.9)):
        (OUT / name).write_bytes(icon(size, scale))
        print(f"wrote {OUT / name}")
