"""Principals shared by the tag-space tests."""
from __future__ import annotations

from tagspace import Principal

ROUTE = "sha256:route"
APP = "sha256:app"

#: The SM that creates the tags under test: family fam-A, started on node-1.
OWNER = Principal("sm-owner", "fam-A", "node-1", frozenset({ROUTE, APP}))
#: Same family (spawned from the same root), so also the same origin.
SIBLING = Principal("sm-sibling", "fam-A", "node-1", frozenset({APP}))
#: Another family started on the same node.
NEIGHBOUR = Principal("sm-neighbour", "fam-B", "node-1", frozenset())
#: Another family and origin, carrying all of the owner's bricks (and more).
PEER = Principal("sm-peer", "fam-C", "node-2", frozenset({ROUTE, APP, "sha256:other"}))
#: Carries only one of the owner's bricks.
PARTIAL = Principal("sm-partial", "fam-D", "node-3", frozenset({ROUTE}))
#: Shares nothing with the owner.
STRANGER = Principal("sm-stranger", "fam-E", "node-4", frozenset({"sha256:x"}))
