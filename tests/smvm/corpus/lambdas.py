# args: [4]
# lambdas that call migrating functions, kept in locals and containers across moves.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def apply(f, x):
    return f(x)


def main(n):
    jump = lambda: hop()
    twice = lambda x: x * 2 + jump()
    compose = lambda f, g: lambda x: f(g(x))
    both = compose(twice, lambda y: y + hop())
    out = [jump(), twice(5), both(1)]
    table = {"inc": lambda v: v + 1 + hop(), "neg": lambda v: -v}
    hop()
    for name in ["inc", "neg", "inc"]:
        out.append(table[name](n))
    out.append(apply(lambda z: z * hop(), 7))
    defaults = lambda a, b=3, *rest, c=4, **kw: (a, b, rest, c, sorted(kw.items()), hop())
    out.append(defaults(1))
    out.append(defaults(1, 2, 3, 4, c=5, d=6, e=7))
    adders = [(lambda x, k=k: x + k) for k in range(3)]
    hop()
    out.append([f(10) for f in adders])
    return out, node_id()
