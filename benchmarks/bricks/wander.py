"""A deterministic walk for the simulator benchmarks: each step migrates to
the neighbour its step number and path length pick, so every run is the same."""

def main(steps):
    seen = [node_id()]
    for i in range(steps):
        nbs = read_tag("neighbors")
        if not nbs:
            return seen
        try:
            sys_migrate(nbs[(i * 7 + len(seen)) % len(nbs)])
            seen.append(node_id())
        except MigrationError:
            pass
    return seen
