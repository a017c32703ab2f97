"""``io`` and ``sys`` for SM code, and what ``print(file=...)`` writes to.

* ``io.StringIO``: the host's in-memory text file, charged for the text it
  copies; its contents and position travel with the SM; it is a context
  manager (``with io.StringIO() as f``).
* ``sys.stdout``/``sys.stderr``: text written to them goes to the running
  SM's log, a line at a time (a line still open is logged when the SM leaves
  the node or ends, or on ``flush``). Every SM shares the two objects; each
  SM's pending text is its own (``Output``, kept by the VM).
"""
from __future__ import annotations

import io as _host
import sys as _sys

from ..guest_text import guest_str
from ..vm.runtime import RUNNING
from ._guard import HostType, bounded, charge_items

#: Newline modes ``io.StringIO`` accepts (and a travelling one may carry).
_NEWLINES = (None, "", "\n", "\r", "\r\n")


class StringIO(_host.StringIO):
    """``io.StringIO`` charged for the text its C code copies."""

    _smvm_context = True  # a ``with`` statement may use it
    __module__ = "io"  # shown as CPython shows it: <io.StringIO object>

    def write(self, s):
        if type(s) is str:
            charge_items(len(s))
        return super().write(s)

    def writelines(self, lines):
        for line in bounded(lines):
            self.write(line)

    def getvalue(self):
        value = super().getvalue()
        charge_items(len(value))
        return value

    def read(self, size=-1):
        value = super().read(size)
        charge_items(len(value))
        return value

    def readline(self, size=-1):
        value = super().readline(size)
        charge_items(len(value))
        return value

    def readlines(self, hint=-1):
        lines = super().readlines(hint)
        charge_items(sum(map(len, lines)))
        return lines

    def seek(self, pos, whence=0):
        if type(pos) is int and whence == 0:
            charge_items(pos)  # a write past the end pads up to here
        return super().seek(pos, whence)


class Console:
    """``sys.stdout`` or ``sys.stderr``: writes go to the running SM's log."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def write(self, s):
        if type(s) is not str:
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        output = getattr(RUNNING.rt, "output", None)
        if output is not None:
            output.write(s, self.name)
        return len(s)

    def writelines(self, lines):
        for line in bounded(lines):
            self.write(line)

    def flush(self):
        output = getattr(RUNNING.rt, "output", None)
        if output is not None:
            output.flush(self.name)

    def __repr__(self) -> str:
        return f"<sys.{self.name}>"


STDOUT, STDERR = Console("stdout"), Console("stderr")

#: Longest open line kept waiting for its end (longer text is logged as it is).
MAX_PENDING_CHARS = 4000


class Output:
    """One SM's text on its way to the log, per stream (``stdout``,
    ``stderr``): whole lines go at once, an open line waits for its end, a
    flush or the SM leaving the node."""

    __slots__ = ("emit", "pending")

    def __init__(self, emit):
        self.emit = emit  # one log line (already charged for)
        self.pending: dict[str, str] = {}

    def write(self, text: str, stream: str = "stdout") -> None:
        charge_items(len(text))
        text = self.pending.pop(stream, "") + text
        if "\n" in text:
            *lines, text = text.split("\n")
            for line in lines:
                self.emit(line)
        if len(text) > MAX_PENDING_CHARS:
            self.emit(text)
        elif text:
            self.pending[stream] = text

    def flush(self, stream: str | None = None) -> None:
        for name in [stream] if stream is not None else list(self.pending):
            text = self.pending.pop(name, "")
            if text:
                self.emit(text)


def print_to(output: Output, values: tuple, sep: object, end: object, file: object,
             flush: object) -> None:
    """``print`` as CPython runs it, writing to the SM's log, an
    ``io.StringIO`` or an object of the brick with a ``write`` method."""
    if not (sep is None or type(sep) is str):
        raise TypeError(f"sep must be None or a string, not {type(sep).__name__}")
    if not (end is None or type(end) is str):
        raise TypeError(f"end must be None or a string, not {type(end).__name__}")
    sep = " " if sep is None else sep
    end = "\n" if end is None else end
    if file is None or file is STDOUT or file is STDERR or type(file) is StringIO:
        text = sep.join(map(guest_str, values)) + end
        if type(file) is StringIO:
            file.write(text)
            return
        stream = "stderr" if file is STDERR else "stdout"
        output.write(text, stream)
        if flush:
            output.flush(stream)
        return
    if not getattr(type(file), "_smvm_guest", False):
        raise AttributeError(f"'{type(file).__name__}' object has no attribute 'write'")
    # a brick's own file-like object: written piece by piece, as CPython does
    write = file.write
    for index, value in enumerate(values):
        if index:
            write(sep)
        write(guest_str(value))
    write(end)
    if flush:
        file.flush()


def build_io() -> dict:
    return {"StringIO": HostType(StringIO, name="io.StringIO")}


def build_sys() -> dict:
    return {"stdout": STDOUT, "stderr": STDERR, "maxsize": _sys.maxsize}


# ---- travelling ---------------------------------------------------------------

def reduce(x: StringIO) -> tuple[str, None, list]:
    if x.closed:
        return "StringIO", None, [None, None, 0]
    value, newline, position, _ = x.__getstate__()
    return "StringIO", None, [value, newline, position]


def new(header: object) -> StringIO:
    if header is not None:
        raise ValueError("malformed StringIO")
    return StringIO()


def fill(obj: StringIO, fields: object) -> StringIO:
    if type(fields) is not list or len(fields) != 3:
        raise ValueError("malformed StringIO")
    value, newline, position = fields
    if value is None and newline is None and position == 0:
        obj.close()
        return obj
    if type(value) is not str or newline not in _NEWLINES or type(newline) not in (str, type(None)) \
            or type(position) is not int or not 0 <= position <= len(value):
        raise ValueError("malformed StringIO")
    obj.__setstate__((value, newline, position, None))
    return obj
