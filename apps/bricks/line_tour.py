"""Demo SM: walk to the end of the line, collecting a reading per node, and
come back to the start with the results (strong migration: the loop, the
list and the running total survive every hop). Node ids are strings; on
``smvm exec``'s line they are "0" .. "N-1"."""


def reading():
    # Stand-in for a sensor: a value derived from where we are.
    return (int(node_id()) * 7 + 3) % 10


def walk_to(target):
    while node_id() != target:
        here = int(node_id())
        step = 1 if int(target) > here else -1
        sys_migrate(str(here + step))


def main():
    visited = []
    total = 0
    while True:
        value = reading()
        visited.append(node_id())
        total += value
        log(f"visited node {node_id()}: reading {value}, running total {total}")
        ahead = [n for n in read_tag("neighbors") if int(n) > int(node_id())]
        if not ahead:
            break
        sys_migrate(ahead[0])
    walk_to("0")
    log("back home")
    return {"visited": visited, "total": total, "mean": round(total / len(visited), 2)}
