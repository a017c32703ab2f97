"""``smvm view DIR [--trace FILE ...]``: build a run's replay page from its
trace files (a simulated run's trace.jsonl, daemons' ``smvm node --trace``
files) and print where it is; nothing is opened."""
from __future__ import annotations

import argparse
from pathlib import Path

from smvm.errors import UsageError

from .common import EXIT_OK

NAME = "view"
HELP = "build replay.html (a browser replay) from a run's trace files"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", metavar="DIR",
                   help="a run's output folder: its trace files are read, replay.html written here")
    p.add_argument("--trace", action="append", default=[], metavar="FILE",
                   help="a trace file to merge in (smvm node --trace); repeat for several daemons")
    p.add_argument("--title", default=None, help="the page's title")


def run(args: argparse.Namespace) -> int:
    print(view(args.folder, args.trace, title=args.title))
    return EXIT_OK


def view(folder: str | Path, traces: list[str] = (), *, title: str | None = None) -> Path:
    """Write ``folder``/replay.html from its trace files and ``traces``; its path."""
    from sim.replay import REPLAY_FILE, ReplayError, TraceError, find_traces, write_replay
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such directory")
    files = find_traces(folder)
    for name in traces:
        path = Path(name)
        if not path.is_file():
            raise UsageError(f"{path}: no such trace file")
        if path.resolve() not in {f.resolve() for f in files}:
            files.append(path)
    if not files:
        raise UsageError(f"{folder}: no trace data (trace.jsonl from smvm sim or smvm run --out, "
                         "or --trace FILE from smvm node --trace)")
    try:
        return write_replay(files, folder / REPLAY_FILE, title=title).resolve()
    except (ReplayError, TraceError) as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"{folder / REPLAY_FILE}: cannot write: {exc.strerror or exc}") from None
