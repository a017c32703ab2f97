# args: [5]
# a comprehension's loop variable is its own: a parameter, an except name or a
# def of the same name in the function is still the function's, and migrates.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(x):
    squares = [x * x for x in range(3)]
    hop()
    try:
        raise ValueError("kept")
    except ValueError as err:
        labels = {str(err): err for err in ["a", "b"]}
        hop()
        message = str(err)
    hop()

    def twice(v):
        return 2 * v

    named = [twice for twice in (1, 2)]
    hop()
    return x, squares, message, sorted(labels), named, twice(4), node_id()
