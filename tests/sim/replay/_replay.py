"""Reading replay data back in Python (what the page's script decodes)."""
from __future__ import annotations

import json
import re
from pathlib import Path


def page_data(page: str | Path) -> dict:
    """The replay data embedded in a replay.html."""
    text = Path(page).read_text(encoding="utf-8")
    found = re.search(r'<script id="replay-data" type="application/json">(.*?)</script>',
                      text, re.S)
    assert found, "the page embeds its data"
    return json.loads(found.group(1).replace("<\\/", "</"))


def samples(data: dict, node_id: str) -> list[tuple[float, float | None, float | None]]:
    """(t, x, y) of a node's encoded samples (x None: off the map)."""
    node = next(n for n in data["nodes"] if n["id"] == node_id)
    p, out = node["p"], []
    t = x = y = 0
    for k in range(0, len(p), 3):
        t += p[k]
        if p[k + 1] is None:
            out.append((t * data["tq"], None, None))
        else:
            x += p[k + 1]
            y += p[k + 2]
            out.append((t * data["tq"], x * data["q"], y * data["q"]))
    return out


def position(data: dict, node_id: str, t: float) -> tuple[float, float] | None:
    """Where the viewer draws the node at ``t`` (linear between samples)."""
    s = samples(data, node_id)
    if not s or t < s[0][0]:
        return None
    k = max(i for i, e in enumerate(s) if e[0] <= t)
    if s[k][1] is None:
        return None
    if k == len(s) - 1 or s[k + 1][1] is None:
        return s[k][1], s[k][2]
    (t0, x0, y0), (t1, x1, y1) = s[k], s[k + 1]
    f = (t - t0) / (t1 - t0)
    return x0 + (x1 - x0) * f, y0 + (y1 - y0) * f
