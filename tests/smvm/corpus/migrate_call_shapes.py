# args: []
# the migration primitive reached through aliases, containers, star-arguments and helpers.
GO = sys_migrate


def other():
    return str(1 - int(node_id()))


def via_global():
    GO(other())
    return node_id()


def apply(f, *args):
    return f(*args)


def main():
    seen = []
    m = sys_migrate
    m(other())
    seen.append(node_id())
    [sys_migrate][0](other())
    seen.append(node_id())
    table = {"go": sys_migrate}
    table["go"](other())
    seen.append(node_id())
    args = [other()]
    sys_migrate(*args)
    seen.append(node_id())
    seen.append(via_global())
    apply(sys_migrate, other())
    seen.append(node_id())
    apply(via_global)
    seen.append(node_id())
    (sys_migrate if seen else None)(other())
    seen.append(read_tag("node_id"))
    moved = [sys_migrate(n) for n in read_tag("neighbors")[:1]]
    seen.append((moved, node_id()))
    return seen, m is sys_migrate
