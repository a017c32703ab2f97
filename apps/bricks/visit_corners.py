"""The Smart Messages routing study's SM: visit the nodes of interest in
order, then come home, with on-demand routing alone or geographic routing to
each node's known place first (geographic + on-demand)."""
from routing.migrate import migrate


def main(stops, home, geographic):
    visited = []
    for node, where in stops + [home]:
        migrate({"node": node}, 60.0, None, where if geographic else None)
        visited.append(node_id())
    return visited
