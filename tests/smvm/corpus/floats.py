# args: [0.1]
# floats, including the awkward ones, across migrations.
import math


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(x):
    vals = [x + 0.2, -0.0, 1e308 * 10, -math.inf, math.nan, 5e-324, 1 / 3, math.pi, 2.0 ** 0.5]
    hop()
    vals.append(vals[0] * 3)
    hop()
    rounded = [round(v, 3) for v in [1 / 3, 2.675, -1.005]]
    ints = [int(2.9), int(-2.9), round(2.5), round(3.5), math.floor(-0.5), math.ceil(-0.5)]
    hop()
    checks = [vals[4] != vals[4], math.isinf(vals[2]), math.copysign(1.0, vals[1]),
              float("1e-5"), 0.1 + 0.2 == 0.3, math.isclose(0.1 + 0.2, 0.3)]
    return vals, rounded, ints, checks, repr(vals[1]), str(vals[6]), node_id()
