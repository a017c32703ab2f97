"""Every bound a node puts on what SMs produce and on the work input from the
network may cause, in one place (the table in docs/node.md lists each one,
its default and what happens past it).

The bounds of decoding itself live with the decoders (``smvm.wire.WireLimits``
for frames, ``smvm.statecodec.CodecLimits`` for SM values); process budgets
of one slice (fuel, memory, CPU time, recursion) are ``NodeConfig`` fields.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .guest_text import scrub

_KiB = 1024
_MiB = 1024 * 1024

# ---- what one SM produces (every mode: exec, sim, daemon, inject --wait) -----------

#: Encoded size of an SM's result; a bigger one ends the SM with ``ResultError``.
MAX_RESULT_BYTES = 256 * _KiB
#: Characters of an error record's message (longer ones are cut, with a marker).
MAX_ERROR_CHARS = 2000
#: Characters of one log line (longer ones are cut, with a marker).
MAX_LOG_LINE_CHARS = 2000
#: Characters of a value's text in an event or a daemon log line.
MAX_SHOWN_CHARS = 200
#: Levels of tuples in tuples, and of iterators over iterators (filter, map,
#: zip, enumerate), an SM may build: hashing such a tuple or taking an item of
#: such an iterator recurses in C once per level, unchecked.
MAX_VALUE_DEPTH = 200

#: Appended to text that was cut.
TRUNCATION_MARKER = "... [truncated: {} characters in all]"
_MARKED = re.compile(r"\.\.\. \[truncated: \d+ characters in all\]")


def truncate(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, saying so when it was. Text
    cut already (by a node the value came through) is left as it is, so the
    marker keeps the original length."""
    if len(text) <= limit:
        return text
    marked = _MARKED.search(text, max(0, limit - 8))
    if marked is not None and marked.end() == len(text) and marked.start() <= limit:
        return text
    return text[:limit] + TRUNCATION_MARKER.format(len(text))


_LOG10_2 = 0.30103


def long_int_placeholder(value: int) -> str:
    """What is shown for an int too long to write in decimal."""
    digits = int(value.bit_length() * _LOG10_2) + 1
    return f"<int of about {digits:,} digits, too long to show>"


def safe_repr(value: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """``repr`` that neither fails (a huge int, a deep value) nor grows, and
    never runs SM code (an instance of an SM's class shows as its name)."""
    if type(value).__dict__.get("_smvm_guest") is True:
        return f"<{type(value).__name__} object>"
    try:
        text = repr(value)
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        if type(value) is int and type(exc) is ValueError:
            text = long_int_placeholder(value)  # past CPython's limit on digits
        else:
            text = f"<{type(value).__name__} that cannot be shown: {type(exc).__name__}>"
    return truncate(scrub(text), limit)


#: Characters of a result shown by the command line (a result is bounded
#: by ``MAX_RESULT_BYTES`` already; its text may still be longer).
MAX_SHOWN_RESULT_CHARS = 1_000_000


def show(value: object) -> str:
    """A result's text for people: never failing, bounded."""
    return safe_repr(value, MAX_SHOWN_RESULT_CHARS)


@dataclass(frozen=True)
class NodeLimits:
    """Bounds of one node on untrusted work: per datagram, per family, per
    origin and on what it keeps for clients."""

    # -- compiling bricks that arrive (off the main loop in the daemon)
    #: characters of a brick's source a node compiles
    max_brick_source: int = 256 * _KiB
    #: syntax-tree nodes of one brick a node compiles
    max_brick_nodes: int = 20_000
    #: call sites in one brick (each may become a resume point, the costly
    #: part of compiling)
    max_brick_calls: int = 2_000
    #: bricks waiting to be compiled; past it new ones are refused for now
    max_pending_compiles: int = 8
    #: compile failures remembered (a resent brick is not compiled again)
    max_compile_failures: int = 256

    # -- budgets per family (an SM and the SMs it spawned, on this node)
    #: SMs of one family alive here (running, ready, blocked or migrating)
    max_sms_per_family: int = 16
    #: SMs of one family blocked on tags here
    max_blocked_per_family: int = 8
    #: SMs one family may spawn or create here, ever
    max_spawns_per_family: int = 64
    #: fuel all SMs of one family may spend here, in units of ``fuel_per_sm``
    family_fuel_factor: int = 4
    #: log bytes one family may write here; later lines are dropped (one
    #: marker line says so)
    max_log_bytes_per_family: int = 256 * _KiB

    # -- budgets per origin (all families started on one node)
    #: SMs from one origin node alive here
    max_sms_per_origin: int = 48
    #: SMs alive here that one inject client (one address) started, their
    #: descendants included
    max_sms_per_client: int = 16
    #: fuel those SMs may spend here, in units of ``fuel_per_sm`` (later
    #: requests of the client are refused)
    client_fuel_factor: int = 8
    #: seconds an SM must have waited on a tag here before a newcomer may end
    #: it to take its place (``smvm.node._eviction``): each place turns over
    #: at most once in this time, however many addresses send newcomers
    min_wait_before_eviction: int = 30

    # -- what the node keeps for inject clients
    #: inject requests remembered (duplicates start nothing)
    max_inject_requests: int = 1024
    #: bytes of stored inject replies (the oldest are forgotten first)
    max_stored_reply_bytes: int = 4 * _MiB
    #: a duplicate request is answered with the stored reply only if the
    #: reply is at most this many times the request's size (else a short
    #: reply saying it is not sent again): no amplification
    resend_factor: int = 4

    # -- the worker protocol (a worker's messages are untrusted too)
    #: bytes of one message from a worker process
    max_worker_message: int = 32 * _MiB

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if type(value) is not int or value < 1:
                raise ValueError(f"NodeLimits.{name} must be a positive int, got {value!r}")


DEFAULT_NODE_LIMITS = NodeLimits()
