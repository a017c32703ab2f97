# args: [5]
# nodes: 3
# with blocks inside generators (which never migrate), closed early, and
# generators consumed inside with blocks of a function that migrates.


class Span:
    def __init__(self, log, name):
        self.log = log
        self.name = name

    def __enter__(self):
        self.log.append(("open", self.name))
        return self.name

    def __exit__(self, kind, exc, tb):
        self.log.append(("close", self.name, kind is None, exc is None))
        return False


def numbers(log, n):
    with Span(log, "gen") as name:
        for i in range(n):
            yield name, i


def main(n):
    log = []
    first = []
    for name, i in numbers(log, n):
        first.append(i)
        if i == 2:
            break
    sys_migrate("1")
    with Span(log, "outer"):
        total = sum(i for name, i in numbers(log, n))
        sys_migrate("2")
    gen = numbers(log, n)
    head = next(gen)
    gen.close()
    sys_migrate("1")
    return first, total, head, log
