"""Compression of a TRANSFER frame's code and continuation with preset zlib
dictionaries (wire version 3).

Both ends of a hop know text the frame's bytes repeat, so the compressor starts
with it already in its window (zlib's preset dictionary, RFC 1950 FDICT):

* ``CODE_PRESET``: the library bricks every node is installed with (routing,
  spatial), exactly as they appear inside a linked unit: most of the code an
  SM carries on a first hop is library code, and the receiver's copy of the
  dictionary stands in for it, so only what differs travels (the program's own
  bricks, and any library change made since the dictionary was built);
* ``STATE_PRESET``: the words of the continuation format (its keys, the
  references to migration primitives), which every state repeats.

The dictionaries are part of the wire format: a stream names the dictionary
it needs by its Adler-32 (in the zlib header), and a receiver with another one
refuses it as not decompressing. ``CODE_PRESET`` is read from
``library.zdict`` next to this module, built by running this module (see
``main``); rebuilding it changes the format, a stale one only compresses less.

Inflating takes bytes from the network: the output is bounded before it is
allocated, and a stream must end exactly where its bytes end.
"""
from __future__ import annotations

import os
import sys
import zlib

import msgpack

from .errors import WireError

__all__ = ["CODE_PRESET", "STATE_LEVEL", "STATE_PRESET", "deflate", "inflate"]

#: zlib keeps 32 KiB of history, so a longer dictionary is cut to its end.
WINDOW = 32 * 1024
#: The farthest back a match reaches: the window less zlib's lookahead
#: (MIN_LOOKAHEAD, 258 + 3 + 1 bytes). Text further back is dead weight.
REACH = WINDOW - 262
#: Compression level of code: 6 is zlib's default and within a few percent of 9 here.
LEVEL = 6
#: Compression level of a continuation, made afresh on every hop: 1 (no lazy
#: matching) takes half the time of 6 on the states of ``benchmarks/hop_latency.py``
#: for about 6% more bytes (mostly fresh data: numbers, ids), and any level
#: inflates alike.
STATE_LEVEL = 1

_HERE = os.path.dirname(os.path.abspath(__file__))
_CODE_FILE = os.path.join(_HERE, "library.zdict")

with open(_CODE_FILE, "rb") as _f:
    CODE_PRESET: bytes = _f.read()[-WINDOW:]

#: A continuation's skeleton (smvm.continuation): its keys, the migration
#: request and the reference prefixes of the values that travel by name.
STATE_PRESET: bytes = b"".join([
    b"fn:builtin:prim:block_tag",
    msgpack.packb("prim:sys_migrate"),
    msgpack.packb({"v": 1, "brick": "", "entry": "main", "frames": [], "globals": {},
                   "defaults": {}, "request": {"kind": "migrate", "target": ""}, "fuel": 0}),
])


#: zlib's smallest window that a stream's header can name (2**9 bytes).
_MIN_WINDOW_BITS = 9


def window_bits(raw: bytes, preset: bytes) -> int:
    """The smallest zlib window (log2, 9 to 15) that holds ``preset`` and
    ``raw`` with zlib's lookahead: every match a full window would find.

    Why not always 15: a full window and hash table are about 256 KB that
    zlib allocates and clears for each stream, and on a hop's few-KB state
    setting them up cost more than compressing (the allocator hands the
    memory back to the system and faults it in again on every hop). Any
    inflater reads a stream with a smaller window (its header says which):
    the wire format is unchanged."""
    needed = len(raw) + len(preset) + (WINDOW - REACH)
    return max(_MIN_WINDOW_BITS, min(15, (needed - 1).bit_length()))


def deflate(raw: bytes, preset: bytes, level: int = LEVEL) -> bytes:
    """``raw`` compressed with ``preset`` as the dictionary (one zlib stream),
    in a window sized to them (``window_bits``) and a hash table to match
    (zlib's memLevel: hash of 2**(memLevel + 7) entries, about the window's size)."""
    bits = window_bits(raw, preset)
    squeezer = zlib.compressobj(level, zlib.DEFLATED, bits, max(1, min(8, bits - 7)), zdict=preset)
    return squeezer.compress(raw) + squeezer.flush()


def inflate(name: str, blob: object, preset: bytes, room: int) -> bytes:
    """The bytes ``blob`` (from ``deflate``) stands for, never more than
    ``room`` of them; any problem raises ``WireError`` naming the field."""
    if type(blob) is not bytes:
        raise WireError(f"{name} must be compressed bytes")
    inflater = zlib.decompressobj(zdict=preset)
    try:
        raw = inflater.decompress(blob, room + 1)
    except zlib.error:
        raise WireError(f"{name} does not decompress") from None
    if len(raw) > room or inflater.unconsumed_tail or not inflater.eof:
        raise WireError(f"{name} is truncated or inflates past {room} bytes")
    if inflater.unused_data:
        raise WireError(f"{name} has bytes after its end")
    return raw


def build_code_preset(bricks: list[str]) -> bytes:
    """The code dictionary for the library bricks named (``PACKAGE.NAME``):
    their parts as a linked unit carries them, in link order (dependencies
    first, as in a unit), cut to fit zlib's reach.

    Why this layout: a part found at offset ``I`` of a unit is matched in the
    dictionary at distance ``I`` plus what follows the part's copy in the
    dictionary. Units carry the same parts in the same order (routing first),
    so every part sits at about the dictionary's whole length from its copy,
    and that length must stay within ``REACH`` counted from where a unit's
    first part begins: one byte too many and no routing part matches at all.
    Cutting the dictionary's start would not help (the distances stay the
    same), so the surplus is cut from the head of the last part, the library
    the fewest units carry: only those few bytes of it then travel in full.
    """
    import tempfile

    from smvm.compiler import is_linked, load_brick

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "library_dictionary.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(f"from {name} import *\n" for name in bricks))
            f.write("def main():\n    return None\n")
        unit = load_brick(path)
    if not is_linked(unit):
        raise ValueError("no library brick was linked")
    # the parts' list without the started brick: '[["a","..."],["b","..."]'
    body = unit[unit.index("["):unit.rindex(',["library_dictionary.py"')].encode("utf-8")
    room = REACH - len(unit[:unit.index("[")].encode("utf-8")) - 1
    surplus = len(body) - room
    if surplus > 0:
        head = body.index(b'","', body.rindex(b',["')) + 3   # the last part's source
        if surplus > (len(body) - head) // 2:
            raise ValueError("the library bricks are too long for one code dictionary")
        body = body[:head] + body[head + surplus:]
    return body


def main(argv: list[str]) -> None:
    """``python -m smvm.wire.preset BRICK...`` rewrites ``library.zdict``."""
    if not argv:
        raise SystemExit("usage: python -m smvm.wire.preset PACKAGE.BRICK...")
    data = build_code_preset(argv)
    with open(_CODE_FILE, "wb") as f:
        f.write(data)
    print(f"{_CODE_FILE}: {len(data)} bytes, Adler-32 {zlib.adler32(data):08x}")


if __name__ == "__main__":
    main(sys.argv[1:])
