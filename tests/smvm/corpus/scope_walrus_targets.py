# args: [[1, 5, 2, 9]]
# a walrus binds in the enclosing function from inside a generator expression,
# a comprehension or a nested function's default value: those locals migrate.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(xs):
    found = any((hit := x) > 4 for x in xs)
    hop()
    evens = [y for x in xs if (y := x * 2) > 4]
    hop()

    def scaled(v, factor=(seed := len(xs))):
        return v * factor

    pick = lambda v=(other := max(xs)): v
    hop()
    total = sum(last := x for x in xs)
    hop()
    return found, hit, evens, y, seed, scaled(2), other, pick(), total, last, node_id()
