# args: []
# bound methods of plain data held in locals across a migration.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    items = [3]
    push = items.append
    joiner = "-".join
    data = {"a": 1}
    getter = data.get
    hop()
    push(4)
    push(hop())
    data["b"] = 2
    return items, joiner(["x", "y"]), getter("b"), getter("zz", 0), node_id()
