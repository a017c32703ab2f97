"""What a node keeps of its answers to inject clients, and how much it may
send back to an address that has not shown it receives.

A datagram's sender address can be forged, so an answer far bigger than the
request would let anyone aim a node's traffic at a victim (amplification).
A reply bigger than ``resend_factor`` times its request is therefore
withheld: the node sends a short ``ReplyWithheld`` record carrying a token
bound to the request and the sender's host, and sends the whole reply to
a request that echoes the token (its id followed by the token) -- proof that
the asker receives what is sent there. Stored replies are bounded in number
and bytes; the oldest are forgotten first.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import OrderedDict
from typing import Hashable

from ..limits import NodeLimits

#: bytes of the token a client appends to its request id to fetch a withheld reply
TOKEN_BYTES = 16
#: a request smaller than this counts as this big (a client's request holds
#: at least a brick's source)
MIN_REQUEST_BYTES = 300
WITHHELD = "ReplyWithheld"


class InjectReplies:
    """Requests seen (each starts one SM) and the replies sent to them."""

    def __init__(self, limits: NodeLimits):
        self.limits = limits
        # request id -> the encoded reply (None while its SM runs)
        self._requests: OrderedDict[bytes, bytes | None] = OrderedDict()
        self.stored_bytes = 0
        self._secret = secrets.token_bytes(32)

    def __contains__(self, request_id: bytes) -> bool:
        return request_id in self._requests

    def __len__(self) -> int:
        return len(self._requests)

    def stored(self, request_id: bytes) -> bytes | None:
        return self._requests.get(request_id)

    def remember(self, request_id: bytes) -> None:
        self._requests[request_id] = None
        while len(self._requests) > self.limits.max_inject_requests:
            self._forget_oldest()

    def store(self, request_id: bytes, message: bytes) -> None:
        """Keep the reply for a client whose copy was lost, within the byte budget."""
        if self._requests.get(request_id, b"") is not None:
            return  # unknown, or answered already
        self._requests[request_id] = message
        self.stored_bytes += len(message)
        while self.stored_bytes > self.limits.max_stored_reply_bytes and self._requests:
            self._forget_oldest()

    def _forget_oldest(self) -> None:
        _, stored = self._requests.popitem(last=False)
        if stored is not None:
            self.stored_bytes -= len(stored)

    # ---- how much may go back unasked -----------------------------------------
    def allowance(self, request_size: int) -> int:
        """Bytes a reply may have when its asker has not shown it receives."""
        return self.limits.resend_factor * max(request_size, MIN_REQUEST_BYTES)

    def token(self, request_id: bytes, link: Hashable) -> bytes:
        """Bound to the request and the asker's host (not its port: what
        matters is that the host receives there; a client may ask again
        from another socket)."""
        host = link[0] if type(link) is tuple and link else link
        mac = hmac.new(self._secret, request_id + repr(host).encode("utf-8", "replace"),
                       hashlib.sha256)
        return mac.digest()[:TOKEN_BYTES]

    def redeemed(self, request_id: bytes, link: Hashable) -> bytes | None:
        """The stored reply a request id ``original + token`` fetches (None
        when it is no such request)."""
        if len(request_id) <= TOKEN_BYTES:
            return None
        original, token = request_id[:-TOKEN_BYTES], request_id[-TOKEN_BYTES:]
        stored = self._requests.get(original)
        if stored is None or not hmac.compare_digest(token, self.token(original, link)):
            return None
        return stored

    def withheld_record(self, request_id: bytes, link: Hashable, size: int,
                        request_size: int) -> dict:
        """The error record sent instead of a reply too big for its request."""
        return {"type": WITHHELD, "line": None, "token": self.token(request_id, link).hex(),
                "message": (f"the reply has {size:,} bytes, more than "
                            f"{self.limits.resend_factor} times the request's "
                            f"{request_size:,}: ask again with the token to receive it")}
