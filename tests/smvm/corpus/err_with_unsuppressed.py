# args: []
# An exception leaves a with block whose __exit__ migrates and does not
# suppress it: the SM ends with it, on the node __exit__ moved to.


class Hopping:
    def __init__(self):
        self.exits = 0

    def __enter__(self):
        sys_migrate("1")
        return self

    def __exit__(self, kind, exc, tb):
        sys_migrate("2")
        self.exits += 1
        return self.exits > 5


def work(manager, items):
    with manager as m:
        total = 0
        for item in items:
            total += 10 // item
    return total, m.exits


def main():
    h = Hopping()
    work(h, [1, 2, 5])
    return work(h, [1, 0])
