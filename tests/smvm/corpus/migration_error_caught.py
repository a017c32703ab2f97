# args: []
# nodes: 4
# moving to a node that is not a neighbour raises MigrationError, which SM code can catch.


def main():
    notes = []
    for target in ["2", "0", "-1", "1", "3", 2, "2"]:
        try:
            sys_migrate(target)
            notes.append(("moved", target, node_id()))
        except MigrationError as e:
            notes.append(("refused", target, node_id(), isinstance(e, Exception)))
    while True:
        nb = read_tag("neighbors")
        try:
            sys_migrate(str(int(node_id()) + 1))
        except MigrationError:
            notes.append(("end of line", node_id(), nb))
            break
    return notes, node_id()
