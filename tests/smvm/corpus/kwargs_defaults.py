# args: [2]
# defaults, *args, **kwargs and keyword-only parameters with migrations inside the callee.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def describe(a, b=10, *rest, scale=1, **extra):
    hop()
    keys = sorted(extra)
    hop()
    return (a + b) * scale, rest, [(k, extra[k]) for k in keys], node_id()


def only_kw(*, x, y=5):
    hop()
    return x - y


def forward(*args, **kwargs):
    hop()
    return describe(*args, **kwargs)


def main(n):
    out = [describe(1)]
    out.append(describe(1, 2, 3, 4, scale=n, z=1, y=2))
    out.append(only_kw(x=hop() + 10))
    out.append(only_kw(y=1, x=3))
    out.append(forward(5, scale=3, q="w"))
    args = (7, 8, 9)
    kwargs = {"scale": hop() + 1, "tail": [1]}
    out.append(forward(*args, **kwargs))
    try:
        only_kw(1)
    except TypeError:
        out.append("positional refused")
    return out, node_id()
