"""Trust: node keys, known nodes, signed SM identities and hop provenance.

Uses the ``cryptography`` package's Ed25519; nothing here is hand-written
cryptography. Pure functions and small state, no I/O beyond the key and
trust files: the node core and the daemon drive it.
"""
from .chain import (
    MAX_CHAIN, ChainVerifier, Provenance, extend_chain, pack_chain, start_chain, unpack_chain,
)
from .errors import TrustError, TrustUsageError
from .keys import NodeKey, fingerprint, verify
from .known import KnownNodes, format_line, parse_trust_file
from .records import Birth, Hop, ResultSeal, digest, open_sealed, record_digest, seal

__all__ = [
    "Birth", "ChainVerifier", "Hop", "KnownNodes", "MAX_CHAIN", "NodeKey", "Provenance",
    "ResultSeal", "TrustError", "TrustUsageError", "digest", "extend_chain", "fingerprint",
    "format_line", "open_sealed", "pack_chain", "parse_trust_file", "record_digest", "seal",
    "start_chain", "unpack_chain", "verify",
]
