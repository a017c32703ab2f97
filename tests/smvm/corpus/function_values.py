# args: [6]
# guest function values held in locals and containers across migrations.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def double(x):
    return x * 2


def square(x):
    return x * x


def pick(name):
    if name == "d":
        return double
    return square


def run_pipeline(steps, x):
    for step in steps:
        x = step(x)
        hop()
    return x


def main(n):
    f = double
    g = pick("s")
    ops = [double, square, f]
    table = {"dbl": double, "sq": square}
    hop()
    r = [f(n), g(n), ops[1](n), table["dbl"](n), ops[2] is double]
    pipe = [double, square, pick("d")]
    hop()
    r.append(run_pipeline(pipe, n))
    held = hop
    held()
    r.append(callable(held))
    r.append(held())
    return r, node_id()
