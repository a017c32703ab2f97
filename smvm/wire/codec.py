"""Encoding frames to whole messages and decoding them back, strictly.

A message is one version byte followed by one msgpack array
``[kind code, field, field...]`` with the fields in the order of the frame's
dataclass. The array has at most 7 items, so its header is one fixarray byte
(0x90 | n) and the kind code, a positive fixint, is the message's third byte.
Brick ids travel as 32 raw bytes (not 64 hex characters); ``position`` is nil
or a 2-array of floats; ``identity`` and ``error`` are maps; ``code`` is an
array of [brick id, source] pairs. msgpack ext types are never used. A
TRANSFER frame's continuation and each brick's source travel zlib-compressed,
with the preset dictionaries of ``smvm.wire.preset``.

``decode`` takes bytes from the network: any problem raises ``WireError`` and
nothing else, and sizes are bounded (by ``WireLimits`` and msgpack's own
``max_*`` options) before anything big is built.
"""
from __future__ import annotations

from collections.abc import Callable

import msgpack

from . import _check as check
from .constants import BRICK_ID_LEN, FRAGMENT_MARKER, IDENTITY_KEYS, VERSION
from .errors import WireError, WireUsageError
from .frames import (
    FRAME_TYPES,
    Accept,
    Ack,
    Beacon,
    Frame,
    Inject,
    InjectReply,
    Kind,
    Offer,
    Reject,
    Result,
    StatusQuery,
    StatusReply,
    Transfer,
)
from .limits import DEFAULT_LIMITS, WireLimits
from .preset import CODE_PRESET, STATE_LEVEL, STATE_PRESET, deflate, inflate

__all__ = ["check_limits", "decode", "encode"]

_VERSION_BYTE = bytes([VERSION])
_RAW_BRICK_LEN = BRICK_ID_LEN // 2


# --- limits shared by both directions --------------------------------------------

def check_limits(frame: Frame, limits: WireLimits = DEFAULT_LIMITS) -> None:
    """Raise ``WireUsageError`` if ``frame`` exceeds ``limits`` (besides total size)."""
    def size(name: str, value: str | bytes, bound: int) -> None:
        if len(value) > bound:
            raise check.fail(f"{name} of {len(value)} exceeds the limit of {bound}")

    def count(name: str, items: tuple | dict, bound: int) -> None:
        if len(items) > bound:
            raise check.fail(f"{name} holds {len(items)} items, over the limit of {bound}")

    def error_record(error: dict | None) -> None:
        if error is not None:
            count("error", error, limits.max_error_items)
            for key, value in error.items():
                size("error key", key, limits.max_str)
                if type(value) is str:
                    size(f"error[{key[:40]!r}]", value, limits.max_str)

    kind = frame.KIND
    if kind is Kind.BEACON:
        count("tags", frame.tags, limits.max_tags)
    elif kind is Kind.OFFER:
        count("bricks", frame.bricks, limits.max_bricks)
    elif kind is Kind.ACCEPT:
        count("missing", frame.missing, limits.max_bricks)
    elif kind is Kind.REJECT:
        size("reason", frame.reason, limits.max_str)
    elif kind is Kind.TRANSFER:
        size("continuation", frame.continuation, limits.max_continuation)
        size("data", frame.data, limits.max_data)
        size("provenance", frame.provenance, limits.max_data)
        count("code", frame.code, limits.max_bricks)
        for bid, source in frame.code:
            size(f"source of brick {bid[:12]}", source, limits.max_source)
    elif kind is Kind.RESULT or kind is Kind.INJECT_REPLY:
        size("value", frame.value, limits.max_data)
        error_record(frame.error)
    elif kind is Kind.INJECT:
        size("source", frame.source, limits.max_source)
        size("args", frame.args, limits.max_data)
    elif kind is Kind.STATUS_REPLY:
        size("status", frame.status, limits.max_data)


# --- encoding ----------------------------------------------------------------------

def _raw_ids(ids: tuple[str, ...]) -> list[bytes]:
    return [bytes.fromhex(bid) for bid in ids]


_TO_WIRE: dict[Kind, Callable[..., list]] = {
    Kind.BEACON: lambda f: [f.node_id, f.seq, None if f.position is None else list(f.position),
                            list(f.tags), f.key],
    Kind.OFFER: lambda f: [f.hop_id, f.sm_id, f.fuel, f.tag_memory, f.runtime_memory,
                           _raw_ids(f.bricks)],
    Kind.ACCEPT: lambda f: [f.hop_id, _raw_ids(f.missing)],
    Kind.REJECT: lambda f: [f.hop_id, f.reason],
    Kind.TRANSFER: lambda f: [f.hop_id, f.sm_id, {k: f.identity[k] for k in IDENTITY_KEYS},
                              deflate(f.continuation, STATE_PRESET, STATE_LEVEL),
                              [[bytes.fromhex(bid), _squeeze(src)] for bid, src in f.code],
                              f.data, f.provenance],
    Kind.ACK: lambda f: [f.hop_id],
    Kind.RESULT: lambda f: [f.sm_id, f.origin, f.ok, f.value, f.error, f.seal],
    Kind.INJECT: lambda f: [f.request_id, f.source, f.args, f.wait],
    Kind.INJECT_REPLY: lambda f: [f.request_id, f.sm_id, f.ok, f.value, f.error],
    Kind.STATUS_QUERY: lambda f: [f.request_id, f.padding],
    Kind.STATUS_REPLY: lambda f: [f.request_id, f.status],
}


def encode(frame: Frame, limits: WireLimits = DEFAULT_LIMITS) -> bytes:
    """One whole message for ``frame``: the version byte, then the msgpack array.

    Raises ``WireUsageError`` if ``frame`` is not a frame or would exceed
    ``limits`` (the receiver's decoder would drop it).
    """
    cls = type(frame)
    if FRAME_TYPES.get(getattr(cls, "KIND", None)) is not cls:
        raise WireUsageError(f"not a wire frame: {cls.__name__}")
    check_limits(frame, limits)
    try:
        body = msgpack.packb([int(frame.KIND), *_TO_WIRE[frame.KIND](frame)], use_bin_type=True)
    except (UnicodeEncodeError, ValueError, TypeError, OverflowError) as e:
        raise WireUsageError(f"cannot encode {cls.__name__}: {e}") from None
    if len(body) + 1 > limits.max_message:
        raise WireUsageError(f"{cls.__name__} encodes to {len(body) + 1} bytes, over the "
                             f"limit of {limits.max_message}")
    return _VERSION_BYTE + body


# --- decoding ----------------------------------------------------------------------

class _Budget:
    """Counts array and map items while msgpack unpacks, to bound memory;
    refuses maps with a repeated key (a reader could pick either value).

    msgpack bounds each container's length; the total across containers is
    bounded here (a nested bomb otherwise fits the byte limit).
    """

    __slots__ = ("left",)

    def __init__(self, items: int):
        self.left = items

    def list_hook(self, items: tuple) -> tuple:
        self.left -= len(items)
        if self.left < 0:
            raise WireError("too many items in message")
        return items

    def pairs_hook(self, pairs: list[tuple[object, object]]) -> dict:
        self.left -= len(pairs)
        if self.left < 0:
            raise WireError("too many items in message")
        mapping = dict(pairs)
        if len(mapping) != len(pairs):
            raise WireError("map with a repeated key")
        return mapping


def _no_ext(code: int, data: bytes) -> object:
    raise WireError(f"unexpected msgpack ext type {code}")


def _hex_ids(name: str, value: object) -> tuple[str, ...]:
    ids = check.sequence(name, value)
    return tuple(_hex_id(f"{name}[{i}]", raw) for i, raw in enumerate(ids))


def _hex_id(name: str, raw: object) -> str:
    if type(raw) is not bytes or len(raw) != _RAW_BRICK_LEN:
        raise WireError(f"{name} must be {_RAW_BRICK_LEN} raw bytes")
    return raw.hex()


def _squeeze(source: str) -> bytes:
    # Source is most of a first hop's bytes, and most of it library code.
    return deflate(source.encode("utf-8", "surrogatepass"), CODE_PRESET)


def _unsqueeze(name: str, blob: object, room: int) -> str:
    """A brick's source from its compressed bytes, never inflating past
    ``room`` (a small frame must not become a huge allocation)."""
    raw = inflate(name, blob, CODE_PRESET, room)
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise WireError(f"{name} is not UTF-8 text") from None


def _code(value: object, limits: WireLimits) -> tuple[tuple[str, str], ...]:
    pairs = check.sequence("code", value)
    out = []
    # all bricks of a frame together inflate to at most max_code_bytes
    left = limits.max_code_bytes
    for i, pair in enumerate(pairs):
        if type(pair) is not tuple or len(pair) != 2:
            raise WireError(f"code[{i}] must be a [brick id, source] pair")
        source = _unsqueeze(f"code[{i}][1]", pair[1], min(left, limits.max_source))
        left -= len(source)
        out.append((_hex_id(f"code[{i}][0]", pair[0]), source))
    return tuple(out)


def _position(value: object) -> object:
    if value is not None and (type(value) is not tuple
                              or not all(type(v) is float for v in value)):
        raise WireError("position must be nil or an array of floats")
    return value


def _transfer(limits: WireLimits, hop_id, sm_id, identity, state, code, data, provenance):
    continuation = inflate("continuation", state, STATE_PRESET, limits.max_continuation)
    return Transfer(hop_id, sm_id, identity, continuation, _code(code, limits), data, provenance)


def _plain(cls: type) -> Callable[..., Frame]:
    return lambda limits, *fields: cls(*fields)


# Each kind's field count, and its builder (the limits first, then the fields).
_FROM_WIRE: dict[int, tuple[int, Callable[..., Frame]]] = {
    Kind.BEACON: (5, lambda _, n, s, p, t, k: Beacon(n, s, _position(p), t, k)),
    Kind.OFFER: (6, lambda _, h, s, f, tm, rm, b: Offer(h, s, f, tm, rm, _hex_ids("bricks", b))),
    Kind.ACCEPT: (2, lambda _, h, m: Accept(h, _hex_ids("missing", m))),
    Kind.REJECT: (2, _plain(Reject)),
    Kind.TRANSFER: (7, _transfer),
    Kind.ACK: (1, _plain(Ack)),
    Kind.RESULT: (6, _plain(Result)),
    Kind.INJECT: (4, _plain(Inject)),
    Kind.INJECT_REPLY: (5, _plain(InjectReply)),
    Kind.STATUS_QUERY: (2, _plain(StatusQuery)),
    Kind.STATUS_REPLY: (2, _plain(StatusReply)),
}


def _unpack_options(limits: WireLimits) -> dict:
    return {
        "raw": False, "use_list": False, "strict_map_key": True, "unicode_errors": "strict",
        "max_str_len": max(limits.max_str, limits.max_source),
        "max_bin_len": max(limits.max_continuation, limits.max_data, _RAW_BRICK_LEN, 64),
        "max_array_len": max(limits.max_tags, limits.max_bricks, 8),
        "max_map_len": max(limits.max_error_items, len(IDENTITY_KEYS)),
        "max_ext_len": 0,
    }


def _item_budget(limits: WireLimits) -> int:
    # The largest legal message: top array, code pairs (3 items each), and maps.
    return (8 + 3 * max(limits.max_tags, limits.max_bricks)
            + max(limits.max_error_items, len(IDENTITY_KEYS)))


_DEFAULT_OPTIONS = _unpack_options(DEFAULT_LIMITS)
_DEFAULT_BUDGET = _item_budget(DEFAULT_LIMITS)


def decode(data: bytes, limits: WireLimits = DEFAULT_LIMITS) -> Frame:
    """The frame in one whole message; any problem raises ``WireError``."""
    try:
        return _decode(data, limits)
    except WireError:
        raise
    except WireUsageError as e:
        raise WireError(f"invalid frame: {_short(e)}") from None
    except RecursionError:
        raise WireError("message nested too deeply") from None
    except MemoryError:
        raise WireError("message too large for memory") from None
    except Exception as e:  # noqa: BLE001 - whatever msgpack or a constructor raises
        raise WireError(f"malformed message: {type(e).__name__}: {_short(e)}") from None


def _short(e: BaseException) -> str:
    text = str(e)
    return text if len(text) <= 200 else text[:197] + "..."


def _decode(data: bytes, limits: WireLimits) -> Frame:
    if type(data) is not bytes:
        if not isinstance(data, (bytearray, memoryview)):
            raise WireError(f"expected bytes, got {type(data).__name__}")
        data = bytes(data)
    if len(data) > limits.max_message:
        raise WireError(f"message of {len(data)} bytes exceeds the limit of {limits.max_message}")
    if len(data) < 2:
        raise WireError("message too short")
    if data[0] != VERSION:
        raise WireError(f"unsupported wire version {data[0]}")
    if data[1] == FRAGMENT_MARKER:
        raise WireError("a fragment, not a whole message (feed it to a Reassembler)")
    if limits is DEFAULT_LIMITS:
        options, budget = _DEFAULT_OPTIONS, _DEFAULT_BUDGET
    else:
        options, budget = _unpack_options(limits), _item_budget(limits)
    hooks = _Budget(budget)
    items = msgpack.unpackb(memoryview(data)[1:], ext_hook=_no_ext, list_hook=hooks.list_hook,
                            object_pairs_hook=hooks.pairs_hook, **options)
    if type(items) is not tuple or not items:
        raise WireError("message body is not a non-empty array")
    kind = items[0]
    if type(kind) is not int or kind not in _FROM_WIRE:
        raise WireError(f"unknown frame kind {kind!r}"[:80])
    nfields, build = _FROM_WIRE[kind]
    if len(items) != nfields + 1:
        raise WireError(f"{Kind(kind).name} needs {nfields} fields, got {len(items) - 1}")
    frame = build(limits, *items[1:])
    check_limits(frame, limits)
    return frame
