"""Scapy dissector for smvm datagrams, so packet captures read as frames.

Importing this module needs scapy and binds ``SMVMFrame`` to UDP port
``DEFAULT_PORT`` (as source or destination). The rest of ``smvm.wire`` does
not import it; callers that want dissection import it themselves.

Fields: ``version``; ``head`` (the msgpack array header of a whole message,
or ``FRAGMENT_MARKER``); for a fragment ``msg_id``, ``index``, ``count``; for a
whole message ``kind`` (the kind code, its third byte); then ``body``, the
remaining bytes. ``frame()`` decodes a whole message; ``mysummary`` describes it.
"""
from __future__ import annotations

from typing import ClassVar

from scapy.fields import (
    ByteEnumField,
    ByteField,
    ConditionalField,
    IntField,
    ShortField,
    StrField,
    XByteField,
)
from scapy.layers.inet import UDP
from scapy.packet import Packet, bind_bottom_up, bind_layers

from .codec import decode
from .constants import DEFAULT_PORT, FRAGMENT_MARKER, VERSION
from .errors import WireError
from .frames import Frame, Kind
from .summary import summarize

__all__ = ["DEFAULT_PORT", "KIND_NAMES", "SMVMFrame"]

#: Kind code -> frame class name, as scapy shows it.
KIND_NAMES = {int(kind): cls_name for kind, cls_name in (
    (Kind.BEACON, "Beacon"), (Kind.OFFER, "Offer"), (Kind.ACCEPT, "Accept"),
    (Kind.REJECT, "Reject"), (Kind.TRANSFER, "Transfer"), (Kind.ACK, "Ack"),
    (Kind.RESULT, "Result"), (Kind.INJECT, "Inject"), (Kind.INJECT_REPLY, "InjectReply"),
    (Kind.STATUS_QUERY, "StatusQuery"), (Kind.STATUS_REPLY, "StatusReply"))}


def _is_fragment(pkt: Packet) -> bool:
    return pkt.head == FRAGMENT_MARKER


class SMVMFrame(Packet):
    """One smvm datagram: a whole message or a fragment of one."""

    name = "SMVM"
    fields_desc: ClassVar[list] = [
        ByteField("version", VERSION),
        XByteField("head", FRAGMENT_MARKER),
        ConditionalField(IntField("msg_id", 0), _is_fragment),
        ConditionalField(ShortField("index", 0), _is_fragment),
        ConditionalField(ShortField("count", 0), _is_fragment),
        ConditionalField(ByteEnumField("kind", 0, KIND_NAMES), lambda p: not _is_fragment(p)),
        StrField("body", b""),
    ]

    def message(self) -> bytes:
        """The datagram's bytes as sent (a whole message or a fragment)."""
        return bytes(self)

    def frame(self) -> Frame | None:
        """The decoded frame of a whole message; None for a fragment or bad bytes."""
        if _is_fragment(self):
            return None
        try:
            return decode(self.message())
        except WireError:
            return None

    def mysummary(self) -> str:
        if _is_fragment(self):
            return (f"SMVM v{self.version} fragment msg={self.msg_id} "
                    f"{self.index + 1}/{self.count} {len(self.body)}B")
        try:
            return f"SMVM v{self.version} {summarize(decode(self.message()))}"
        except WireError as e:
            return f"SMVM v{self.version} malformed ({str(e)[:60]})"


bind_layers(UDP, SMVMFrame, sport=DEFAULT_PORT, dport=DEFAULT_PORT)
bind_bottom_up(UDP, SMVMFrame, sport=DEFAULT_PORT)
bind_bottom_up(UDP, SMVMFrame, dport=DEFAULT_PORT)
