"""NMEA 0183 framing: classify a received line before any field is parsed.

Pure functions, no I/O. A line is one of:

* ``ok``           -- ``$`` or ``!``, a sentence id, fields, ``*hh`` with the
                      right checksum;
* ``empty``        -- nothing but whitespace;
* ``not_nmea``     -- printable text that does not start with ``$``/``!``
                      (boot banners, comments, other protocols' text);
* ``garbage``      -- non-ASCII or control characters, or an NMEA-looking
                      line whose sentence id or checksum field is nonsense;
* ``truncated``    -- starts like a sentence but the ``*hh`` is missing or
                      cut short;
* ``bad_checksum`` -- complete, but the checksum does not match.

Serial links that drop bytes often glue the head of one sentence to the next
one (``$GPGGA,12$GPRMC,...*hh``). ``classify`` then reports the head as
truncated (``salvaged``) and judges the last sentence on its own.
"""
from __future__ import annotations

import re
from typing import NamedTuple

_SENTENCE_ID = re.compile(r"(?:[A-Z][A-Z0-9][A-Z]{3}|P[A-Z0-9]{3,})\Z")
_HEX = frozenset("0123456789ABCDEFabcdef")


class Framed(NamedTuple):
    kind: str  # one of the kinds above
    text: str | None  # the sentence ("$....*hh") when kind == "ok"
    sentence_id: str | None  # e.g. "GPGGA", "PSRF150"
    salvaged: bool  # a truncated sentence preceded this one on the same line


def checksum(body: str) -> int:
    """XOR of the characters between ``$`` and ``*``."""
    value = 0
    for ch in body:
        value ^= ord(ch)
    return value


def with_checksum(body: str) -> str:
    """``$body*hh`` -- a complete sentence for ``body`` (used to make test data)."""
    return f"${body}*{checksum(body):02X}"


def classify(line: str | bytes) -> Framed:
    """Frame one received line (with or without its CR/LF)."""
    if isinstance(line, (bytes, bytearray)):
        try:
            line = bytes(line).decode("ascii")
        except UnicodeDecodeError:
            return Framed("garbage", None, None, False)
    line = line.strip()
    if not line:
        return Framed("empty", None, None, False)
    if not line.isascii() or not line.isprintable():
        return Framed("garbage", None, None, False)
    if line[0] not in "$!":
        return Framed("not_nmea", None, None, False)
    salvaged = False
    last = line.rfind("$")
    if last > 0:
        salvaged = True
        line = line[last:]
    body, star, cs = line[1:].rpartition("*")
    if not star:
        return Framed("truncated", None, None, salvaged)
    if len(cs) < 2 and all(c in _HEX for c in cs):
        return Framed("truncated", None, None, salvaged)
    if len(cs) != 2 or not all(c in _HEX for c in cs):
        return Framed("garbage", None, None, salvaged)
    sentence_id = body.split(",", 1)[0]
    if "*" in body or not _SENTENCE_ID.match(sentence_id):
        return Framed("garbage", None, None, salvaged)
    if checksum(body) != int(cs, 16):
        return Framed("bad_checksum", None, sentence_id, salvaged)
    return Framed("ok", line, sentence_id, salvaged)
