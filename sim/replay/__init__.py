"""Replays: a run (simulated, or the daemons of a run on devices) as one
self-contained ``replay.html`` that plays it in a browser.

``Recorder`` turns a simulated run into trace records (``smvm.trace``);
``write_replay`` merges trace files into the page. See ``docs/replay.md``.
"""
from __future__ import annotations

from pathlib import Path

from smvm.trace import TraceError, read_trace

from .merge import ReplayError, build
from .html import render
from .record import Recorder
from .world import find_net, program_spaces, road_lines, scenario_world

#: The trace file a simulated run writes into its output folder.
TRACE_FILE = "trace.jsonl"
#: The page written next to it.
REPLAY_FILE = "replay.html"


def write_replay(traces: list[str | Path], out: str | Path, *, title: str | None = None) -> Path:
    """Merge the trace files ``traces`` into the replay page ``out``;
    ``ReplayError`` (or ``TraceError``) with a one-line reason otherwise."""
    if not traces:
        raise ReplayError("no trace files")
    data = build((read_trace(path) for path in traces), title=title)
    out = Path(out)
    out.write_text(render(data), encoding="utf-8")
    return out


def find_traces(folder: str | Path) -> list[Path]:
    """The trace files in a run's output folder: ``trace.jsonl`` (a simulated
    run) and ``*.trace.jsonl`` (daemons), either possibly gzipped."""
    folder = Path(folder)
    names = ("trace.jsonl", "trace.jsonl.gz", "*.trace.jsonl", "*.trace.jsonl.gz")
    return sorted({path for name in names for path in folder.glob(name)})


__all__ = ["REPLAY_FILE", "TRACE_FILE", "Recorder", "ReplayError", "TraceError", "build",
           "find_net", "find_traces", "program_spaces", "render", "road_lines", "scenario_world",
           "write_replay"]
