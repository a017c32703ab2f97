# args: [5]
# nested functions and lambdas stored in module-level variables keep working after moves.
SCALE = None
SHIFT = None
REGISTRY = []


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def make_scale(k):
    def scale(x):
        return x * k
    return scale


def main(n):
    global SCALE, SHIFT
    SCALE = make_scale(3)
    SHIFT = lambda x: x + 100
    REGISTRY.append(make_scale(-1))
    hop()
    first = [SCALE(n), SHIFT(n), REGISTRY[0](n)]
    SCALE = make_scale(10)
    hop()
    return first, SCALE(n), SHIFT(SCALE(1)), node_id()
