"""What a node daemon is told to be: its address, peers, tags, workers,
state directory, trust and trace (``smvm node``'s options), and the key it
signs with."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from .. import wire
from ..node import NodeConfig
from ..node.provenance import NodeTrust
from ..trust import KnownNodes, NodeKey, parse_trust_file

log = logging.getLogger("smvm.node")

#: Keys first seen from other nodes, kept in the state directory (known-nodes format).
LEARNED_KEYS = "known_nodes"


@dataclass
class DaemonConfig:
    node_id: str
    host: str = "0.0.0.0"
    port: int = wire.DEFAULT_PORT
    peers: list[tuple[str, int]] = field(default_factory=list)
    broadcast: str | None = None
    location: tuple[float, float] | None = None
    tags: dict[str, object] = field(default_factory=dict)
    #: I/O tags every SM may read and write (devices such as a sprinkler valve);
    #: the initial value is the tag of the same name in ``tags``, else None
    actuators: list[str] = field(default_factory=list)
    #: tags of ``tags`` every SM may also write and delete (a free cab's
    #: ``Taxi`` sign, which the SM that books the cab takes down)
    shared_tags: list[str] = field(default_factory=list)
    node: NodeConfig = field(default_factory=NodeConfig)
    seed: int | None = None
    #: SM slices run in this many worker processes (sandbox layer 3);
    #: 0 runs them in the daemon's own process.
    workers: int = 2
    #: wall-clock seconds a slice may take before its worker is killed
    slice_seconds: float = 30.0
    #: advertise the node with zeroconf (``_smvm._udp.local.``) on these
    #: interface addresses (None: all); False: do not advertise
    advertise: bool = True
    interfaces: list[str] | None = None
    #: NMEA source for the location tags: tcp:HOST:PORT, serial:DEVICE[@BAUD]
    #: or file:PATH (replayed at its recorded pace)
    gps: str | None = None
    #: where the code cache, the node's key and the keys it learned are kept
    #: across restarts (None: memory only, and a new key each run)
    state_dir: str | None = None
    #: sign births, hops and results, and verify what arrives (see docs/security.md)
    signed: bool = True
    #: known-nodes file pinning node ids to public keys (others: trust on first use)
    trust_file: str | None = None
    #: with a state directory, SMs are journaled before their hop is acknowledged:
    #: "always" fsyncs each record (survives power loss), "never" only writes
    #: it to the operating system (survives the daemon being killed)
    journal_sync: str = "always"
    #: write trace records (``smvm.trace``: SM starts, hops, ends, tag writes,
    #: place and neighbours) to this file, for ``smvm view``
    trace: str | None = None
    #: seconds between samples of the place and neighbours in the trace
    trace_period: float = 1.0


def node_trust(config: DaemonConfig) -> NodeTrust:
    """The daemon's key (kept in its state directory) and the keys it trusts."""
    pinned = parse_trust_file(config.trust_file) if config.trust_file else None
    if config.state_dir:
        os.makedirs(config.state_dir, exist_ok=True)
        key = NodeKey.load_or_create(config.state_dir)
        learned = os.path.join(config.state_dir, LEARNED_KEYS)
    else:
        key, learned = NodeKey.generate(), None
        log.info("no --state-dir: node %s signs with a new key for this run", config.node_id)
    log.info("node %s key %s", config.node_id, key.fingerprint)
    return NodeTrust(config.node_id, key, KnownNodes(pinned, learned_file=learned))
