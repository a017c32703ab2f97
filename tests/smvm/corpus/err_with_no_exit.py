# args: []
# A with statement on an object without __exit__: CPython's TypeError, after
# a migration, before __enter__ runs.


class Half:
    def __init__(self):
        self.entered = False

    def __enter__(self):
        self.entered = True
        return self


def main():
    h = Half()
    sys_migrate("1")
    sys_migrate("2")
    with h:
        sys_migrate("2")
    return h.entered
