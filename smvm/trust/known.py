"""Which public key belongs to which node: pinned keys and trust on first use.

The trust file follows SSH's ``known_hosts`` idea, one node a line::

    # node-id  algorithm  public key (base64)
    A ed25519 Cq3n...=

A node listed there must sign with that key. A node not listed is trusted on
first use: its first key is remembered (and appended to the learned file when
one is given), and any later, different key is refused.
"""
from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from .errors import TrustError, TrustUsageError
from .keys import PUBLIC_KEY_LEN, fingerprint

ALGORITHM = "ed25519"
MAX_KNOWN = 65536


def format_line(node_id: str, public_key: bytes) -> str:
    return f"{node_id} {ALGORITHM} {base64.b64encode(public_key).decode('ascii')}\n"


def parse_trust_file(path: str | os.PathLike) -> dict[str, bytes]:
    """The pinned keys of a trust file; every bad line is named in the error."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise TrustUsageError(f"cannot read trust file {path}: {reason}") from None
    keys: dict[str, bytes] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 3 or fields[1] != ALGORITHM:
            problems.append(f"{path}:{number}: expected 'NODE-ID {ALGORITHM} BASE64-KEY'")
            continue
        try:
            key = base64.b64decode(fields[2], validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != PUBLIC_KEY_LEN:
            problems.append(f"{path}:{number}: not a base64 Ed25519 public key")
        elif fields[0] in keys and keys[fields[0]] != key:
            problems.append(f"{path}:{number}: node {fields[0]!r} listed twice with different keys")
        else:
            keys[fields[0]] = key
    if problems:
        raise TrustUsageError("; ".join(problems))
    return keys


class KnownNodes:
    """The keys this node accepts signatures from."""

    def __init__(self, pinned: dict[str, bytes] | None = None, *,
                 learned_file: str | os.PathLike | None = None):
        self.pinned = dict(pinned or {})
        self.learned: dict[str, bytes] = {}
        self._learned_file = Path(learned_file) if learned_file else None
        if self._learned_file is not None and self._learned_file.exists():
            for node_id, key in parse_trust_file(self._learned_file).items():
                if node_id not in self.pinned:
                    self.learned[node_id] = key

    def key_of(self, node_id: str) -> bytes | None:
        return self.pinned.get(node_id) or self.learned.get(node_id)

    def check(self, node_id: str, public_key: bytes) -> bool:
        """Accept ``public_key`` for ``node_id`` (learning it on first use);
        True when it was new. ``TrustError`` when it contradicts what is known."""
        known = self.key_of(node_id)
        if known == public_key:
            return False
        if known is not None:
            how = "pinned" if node_id in self.pinned else "first seen"
            raise TrustError(f"key of node {node_id!r} changed: {how} {fingerprint(known)}, "
                             f"now {fingerprint(public_key)}")
        if len(public_key) != PUBLIC_KEY_LEN:
            raise TrustError(f"node {node_id!r} sent a malformed public key")
        if len(self.learned) >= MAX_KNOWN:
            raise TrustError("too many nodes known: refusing to learn more keys")
        self.learned[node_id] = public_key
        if self._learned_file is not None:
            with open(self._learned_file, "a", encoding="utf-8") as out:
                out.write(format_line(node_id, public_key))
        return True
