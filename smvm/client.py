"""Talking to a running node daemon as a client (``smvm status``, ``smvm
inject``): one request over UDP, repeated until its answer comes.

The socket is connected to the node, so a port nobody listens on is known at
once (the ICMP "port unreachable" the host sends back surfaces as a refused
connection) instead of after the whole timeout.
"""
from __future__ import annotations

import math
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import trio

from . import statecodec, wire
from .errors import RemoteInputError, SMVMError

__all__ = ["InjectOutcome", "NodeUnreachable", "STATUS_QUERY_SIZE", "exchange", "inject",
           "query_status"]

#: How often a request is repeated until the node answers.
RESEND_INTERVAL = 0.5
#: Socket receive buffer a client asks for (a reply of up to
#: ``smvm.limits.MAX_RESULT_BYTES`` arrives as a burst of fragments).
RECEIVE_BUFFER = 4 << 20
#: Bytes a status query is padded to: the node answers with at most a few
#: times the query's size, so the query asks for room by its own size.
STATUS_QUERY_SIZE = 16 * 1024


class NodeUnreachable(SMVMError):
    """Nothing answers at the node's address (refused, or not resolvable)."""


async def exchange(address: tuple[str, int], datagrams: list[bytes],
                   answer: Callable[[wire.Frame], object], *, timeout: float,
                   resend: float = RESEND_INTERVAL):
    """Send ``datagrams`` to ``address`` every ``resend`` seconds until a frame
    arrives for which ``answer`` returns something other than None; return
    that. ``trio.TooSlowError`` after ``timeout`` seconds, ``NodeUnreachable``
    as soon as the node's host refuses."""
    where = f"{address[0]}:{address[1]}"
    with trio.fail_after(timeout):
        try:
            infos = await trio.socket.getaddrinfo(address[0], address[1], socket.AF_INET,
                                                  socket.SOCK_DGRAM)
        except (OSError, UnicodeError) as exc:
            raise NodeUnreachable(f"cannot resolve {address[0]!r}: "
                                  f"{getattr(exc, 'strerror', None) or exc}") from None
        sock = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with sock:
            try:  # room for a big reply's fragments arriving at once
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            except OSError:
                pass
            try:
                await sock.connect(infos[0][4])
            except OSError as exc:
                raise NodeUnreachable(f"cannot reach {where}: {exc.strerror or exc}") from None
            reassembler = wire.Reassembler()
            refused = False

            async def send_until_answered():
                nonlocal refused
                while True:
                    try:
                        for datagram in datagrams:
                            await sock.send(datagram)
                    except ConnectionRefusedError:
                        refused = True
                        nursery.cancel_scope.cancel()
                        return
                    except OSError:
                        pass  # e.g. no route yet: try again
                    await trio.sleep(resend)

            result = None
            async with trio.open_nursery() as nursery:
                nursery.start_soon(send_until_answered)
                while True:
                    try:
                        data = await sock.recv(65536)
                    except ConnectionRefusedError:
                        refused = True
                        break
                    except OSError:
                        continue
                    try:
                        message = reassembler.feed(data, address, trio.current_time())
                        frame = None if message is None else wire.decode(message)
                    except wire.WireError:
                        continue
                    result = None if frame is None else answer(frame)
                    if result is not None:
                        break
                nursery.cancel_scope.cancel()
            if refused:
                raise NodeUnreachable(f"nothing listens on {where} (connection refused)")
            return result


async def query_status(address: tuple[str, int], *, timeout: float = 3.0,
                       size: int = STATUS_QUERY_SIZE) -> dict:
    """The status of the node at ``address`` (see ``smvm.node.status``)."""
    request_id = os.urandom(16)
    padding = bytes(max(0, min(size, wire.frames.STATUS_PADDING_MAX) - 32))
    message = wire.encode(wire.StatusQuery(request_id, padding))
    datagrams = wire.fragment(message, int.from_bytes(request_id[:4], "big"), wire.DEFAULT_MTU)

    def answer(frame):
        if isinstance(frame, wire.StatusReply) and frame.request_id == request_id:
            return frame.status
        return None

    blob = await exchange(address, datagrams, answer, timeout=timeout)
    try:
        status = statecodec.loads(blob, limits=statecodec.UNTRUSTED_LIMITS)
    except RemoteInputError as exc:
        raise RemoteInputError(f"{address[0]}:{address[1]} sent an unreadable status: {exc}") \
            from None
    if type(status) is not dict:
        raise RemoteInputError(f"{address[0]}:{address[1]} sent a status that is not a map")
    return status


@dataclass
class InjectOutcome:
    sm_id: str
    ok: bool
    value: object
    error: dict | None
    trip: dict = field(default_factory=dict)  # node, hops, bytes, fuel (with --wait)

    def to_json(self) -> dict:
        """The shape of ``smvm exec --json``, plus the SM's id."""
        shown = {"result": self.value, "error": self.error,
                 **{k: self.trip.get(k) for k in ("node", "hops", "bytes", "fuel")},
                 "sm": self.sm_id}
        if "path" in self.trip:  # the path the SM's signed chain proves
            shown["path"] = self.trip["path"]
        return shown


async def inject(address: tuple[str, int], source: str, args: list, *, wait: bool,
                 timeout: float) -> InjectOutcome:
    """Ask the node at ``address`` to start an SM; with ``wait``, its end.
    The request is repeated until the node answers (it starts the SM once per
    request id); ``smvm.client.NodeUnreachable`` at once when nothing listens,
    ``trio.TooSlowError`` after ``timeout`` seconds of silence."""
    request_id = os.urandom(16)
    frame = wire.Inject(request_id, source, statecodec.dumps(list(args)), wait)
    datagrams = wire.fragment(wire.encode(frame), 1, 1200)

    def answer(reply) -> InjectOutcome | None:
        if not (isinstance(reply, wire.InjectReply) and reply.request_id == request_id):
            return None
        try:
            envelope = statecodec.loads(reply.value) if reply.value else {}
        except RemoteInputError:
            envelope = None
        if type(envelope) is not dict:
            envelope = {}
        return InjectOutcome(reply.sm_id, reply.ok, envelope.get("value"), reply.error,
                             {k: v for k, v in envelope.items() if k != "value"})

    with trio.fail_after(timeout):
        outcome = await exchange(address, datagrams, answer, timeout=math.inf)
        token = _withheld_token(outcome)
        if token is not None:
            # a reply too big to be sent unasked: the request again, under its
            # id followed by the node's token (we receive at this address)
            fetch = wire.Inject(request_id + token, source, frame.args, wait)
            datagrams = wire.fragment(wire.encode(fetch), 2, 1200)
            outcome = await exchange(address, datagrams, answer, timeout=math.inf)
        return outcome


def _withheld_token(outcome: InjectOutcome) -> bytes | None:
    """The token of a reply the node withheld (too big to send unasked)."""
    error = outcome.error or {}
    if outcome.ok or error.get("type") != "ReplyWithheld":
        return None
    try:
        return bytes.fromhex(str(error.get("token")))
    except ValueError:
        return None
