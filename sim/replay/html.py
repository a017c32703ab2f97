"""The replay page: one self-contained HTML file (the viewer's script, its
style and the replay data inline; nothing fetched, works from ``file://``)."""
from __future__ import annotations

import html
import json
from importlib import resources


def _asset(name: str) -> str:
    return resources.files("sim.replay").joinpath("assets", name).read_text(encoding="utf-8")


def render(data: dict) -> str:
    """The page playing ``data`` (``sim.replay.build``'s output)."""
    text = json.dumps(data, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    # inside <script>: a "</" could end the element early
    text = text.replace("</", "<\\/").replace("<!--", "<\\!--")
    page = _asset("page.html")
    for key, value in (("{{CSS}}", _asset("viewer.css")), ("{{JS}}", _asset("viewer.js")),
                       ("{{TITLE}}", html.escape(str(data.get("title", "replay"))))):
        page = page.replace(key, value)
    return page.replace("{{DATA}}", text)
