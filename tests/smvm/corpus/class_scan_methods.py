# args: [4]
# nodes: 3
# A class whose methods are named count, index and remove (like list's) and
# migrate inside; the same names called on lists, strings and a tuple in the
# same functions, with migrations in their arguments and between the calls.


def hop():
    sys_migrate("1" if node_id() != "1" else "2")
    return node_id()


class Bag:
    def __init__(self, items):
        self.items = list(items)
        self.seen = []

    def count(self, item):
        hop()
        self.seen.append(("count", node_id()))
        return self.items.count(item)

    def index(self, item, start=0):
        where = hop()
        return self.items.index(item, start), where

    def remove(self, item):
        self.items.remove(item)
        self.seen.append(("remove", hop()))


def main(n):
    bag = Bag(["a", "b", "a", "c"] * n)
    plain = ["x", "y", "x"]
    text = "banana"
    out = []
    out.append(bag.count("a"))
    out.append(plain.count("x"))
    out.append(text.count("an"))
    out.append(bag.index("c", 2))
    out.append(plain.index(hop()) if hop() in plain else -1)
    out.append((1, 2, 3).index(len(plain)))
    bag.remove("b")
    plain.remove("y")
    total = 0
    for item in ["a", "b", "c"]:
        total += bag.count(item) * 10 + plain.count(item)
    out.append(total)
    try:
        bag.index("zzz")
    except ValueError as exc:
        out.append(("missing", str(exc), node_id()))
    method = bag.count
    out.append(method("c"))
    return out, bag.seen, plain, bag.items
