# args: [12]
# two functions calling each other, migrating at each step, then unwinding.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def is_even(n, seen):
    seen.append(("even", n, hop()))
    if n == 0:
        return True
    return is_odd(n - 1, seen)


def is_odd(n, seen):
    seen.append(("odd", n, node_id()))
    if n == 0:
        return False
    result = is_even(n - 1, seen)
    hop()
    return result


def main(n):
    seen = []
    a = is_even(n, seen)
    b = is_odd(7, seen)
    return a, b, len(seen), seen[-3:], node_id()
