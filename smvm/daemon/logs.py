"""The daemon's log lines: what the node did (SMs ending, refusals, logs of
SMs at INFO and WARNING) and, at DEBUG, every datagram in and out."""
from __future__ import annotations

import logging
import struct

from .. import wire
from ..limits import MAX_LOG_LINE_CHARS, MAX_SHOWN_CHARS, safe_repr, truncate
from ..node import events as ev

log = logging.getLogger("smvm.node")


def log_datagram(verb: str, datagram: bytes, peer: object) -> None:
    """One DEBUG line for a datagram in or out: its frame, or which fragment."""
    from ..wire.summary import summarize
    if wire.is_fragment(datagram) and len(datagram) >= wire.FRAGMENT_HEADER_LEN:
        msg_id, index, count = struct.unpack_from(">IHH", datagram, 2)
        what = f"fragment {index + 1}/{count} of message {msg_id} ({len(datagram)} bytes)"
    else:
        try:
            what = summarize(wire.decode(datagram))
        except wire.WireError as exc:
            what = f"a malformed datagram ({truncate(str(exc), 80)})"
    if type(peer) is tuple and len(peer) == 2:
        peer = "%s:%s" % peer
    log.debug("%s %s %s: %s", verb, "to" if verb == "sent" else "from", peer, what)


def log_event(event: ev.Event) -> None:
    if isinstance(event, ev.FrameRefused):
        log.warning("refused %s from %s: %s", event.kind, event.source,
                    truncate(str(event.reason), MAX_SHOWN_CHARS))
    elif isinstance(event, ev.SMFinished):
        log.info("SM %s finished on %s: %s", event.sm_id, event.node, safe_repr(event.value))
    elif isinstance(event, ev.SMFailed):
        log.warning("SM %s failed on %s: %s: %s", event.sm_id, event.node,
                    truncate(str(event.error.get("type")), 80),
                    truncate(str(event.error.get("message")), MAX_SHOWN_CHARS))
    elif isinstance(event, ev.HopFailed):
        log.warning("hop of %s to %s failed: %s", event.sm_id, event.target,
                    truncate(str(event.reason), MAX_SHOWN_CHARS))
    elif isinstance(event, ev.LogLine):
        log.info("[%s] %s", event.sm_id, truncate(event.text, MAX_LOG_LINE_CHARS))
    elif isinstance(event, ev.SMDurable):
        log.debug("SM %s journaled (%d bytes)", event.sm_id, len(event.snapshot))
    elif log.isEnabledFor(logging.DEBUG):
        # every hop makes such events (admitted, completed, released): their
        # text is made only for a log that shows it
        log.debug("%s", truncate(str(event), MAX_SHOWN_CHARS))
