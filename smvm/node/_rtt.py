"""Round-trip estimates per neighbour, for retransmission timeouts.

Smoothed RTT and its variation, updated as TCP does (RFC 6298), from frames
answered on their first transmission only (Karn's rule: an answer to a
retransmitted frame cannot tell which copy it answers). A busy channel
lengthens the estimate, so senders stop resending frames that are merely
queued -- the retransmission storm that would otherwise congest it further.
"""
from __future__ import annotations

_ALPHA, _BETA = 1 / 8, 1 / 4


_MAX_BACKOFF = 64


class RttEstimator:
    def __init__(self) -> None:
        self._by_peer: dict[str, tuple[float, float]] = {}
        self._backoff: dict[str, int] = {}
        self._least: dict[str, float] = {}  # per peer: the round trip without queueing, as near as seen
        self._channel = 1  # backoff shared by all peers: they share one radio channel

    def sample(self, peer: str, rtt: float) -> None:
        if not rtt >= 0:
            return
        self._backoff.pop(peer, None)
        self._channel = max(1, self._channel // 2)
        least = self._least.get(peer)
        if least is None or rtt < least:
            self._least[peer] = rtt
        known = self._by_peer.get(peer)
        if known is None:
            self._by_peer[peer] = (rtt, rtt / 2)
            return
        srtt, var = known
        var = (1 - _BETA) * var + _BETA * abs(srtt - rtt)
        self._by_peer[peer] = ((1 - _ALPHA) * srtt + _ALPHA * rtt, var)

    def expired(self, peer: str) -> None:
        """A frame to ``peer`` went unanswered: double its timeout until the
        next sample (answers to resent frames give none, so without this a
        congested peer would keep the short timeout that congests it)."""
        self._backoff[peer] = min(2 * self._backoff.get(peer, 1), _MAX_BACKOFF)
        # the channel is busy for its other neighbours too, most of all for
        # new ones (no estimate yet): their first frames wait as long
        self._channel = min(2 * self._channel, _MAX_BACKOFF)

    def timeout(self, peer: str, default: float) -> float:
        """SRTT + 4 RTTVAR for ``peer``, backed off; before any sample, the
        shared channel's (``default`` at least)."""
        known = self._by_peer.get(peer)
        if known is None:
            # a first frame to this peer crosses the channel the others share:
            # no shorter than their mean round trip, backed off as theirs are
            shared = self.mean()
            base = default if shared is None else max(default, shared)
            return base * max(self._backoff.get(peer, 1), self._channel)
        return max(default, known[0] + 4 * known[1]) * self._backoff.get(peer, 1)

    def mean(self) -> float | None:
        """The mean smoothed RTT over the peers with a sample (None: none yet)."""
        if not self._by_peer:
            return None
        return sum(srtt for srtt, _ in self._by_peer.values()) / len(self._by_peer)

    def least(self) -> float | None:
        """The mean over the peers of the least round trip seen to each: a
        hop's time on a quiet channel, which queues behind a burst of traffic
        do not stretch for long after it (None: no sample yet)."""
        if not self._least:
            return None
        return sum(self._least.values()) / len(self._least)

    def forget(self, peer: str) -> None:
        self._by_peer.pop(peer, None)
        self._backoff.pop(peer, None)
        self._least.pop(peer, None)
