"""Charts as plain geometry for the templates to draw as SVG: no JavaScript, readable in print, always
beside a table with the same numbers.

In a bar chart a hidden row (fewer than five people) gets no bar and its "<5" label, so the picture never
shows more than the table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from server.lib.disclosure import Row

WIDTH = 320
LABEL = 16  # the row's label sits on its own line above the bar, so long names fit at 320 px
BAR = 14
GAP = 10


def bars(rows: list[Row], value: str, *, limit: int = 15) -> dict[str, Any]:
    shown = rows[:limit]
    top = max((r.values.get(value) or 0 for r in shown if r.shown), default=0) or 1
    room = WIDTH - 70  # space left for the value after the longest bar
    out = []
    y = 0
    for row in shown:
        amount = row.values.get(value) if row.shown else None
        length = round(room * (amount or 0) / top, 1) if amount else 0
        out.append({"label": row.label, "label_y": y + 12, "bar_y": y + LABEL + 2, "length": length,
                    "value": amount, "hidden": row.hidden, "text_x": length + 6, "text_y": y + LABEL + 13})
        y += LABEL + BAR + GAP
    return {"width": WIDTH, "height": max(y, 1), "bars": out, "more": max(0, len(rows) - limit)}


def line(points: Sequence[Any], width: int = 320, height: int = 160) -> dict[str, Any]:
    """Coordinates for a small line chart of percentages (``.percent``, 0–100 upwards, oldest left)."""
    pad = 24
    if not points:
        return {"width": width, "height": height, "points": [], "line": ""}
    step = (width - 2 * pad) / max(1, len(points) - 1)
    coords = [(round(pad + i * step, 1), round(height - pad - (p.percent / 100) * (height - 2 * pad), 1), p)
              for i, p in enumerate(points)]
    return {"width": width, "height": height, "pad": pad, "points": coords,
            "line": " ".join(f"{x},{y}" for x, y, _p in coords),
            "guide_50": round(height - pad - 0.5 * (height - 2 * pad), 1)}
