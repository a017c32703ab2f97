# args: [7]
# while loops of both shapes in one frame: loops with no migration point in
# them (they take their fuel in C, one unit per test), with break, continue
# and else, around and between loops that migrate (steered through their
# head); a generator and a method with such loops; the frame migrates at
# many points, between and inside the loops.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return node_id()


def collatz(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def countdown(n):
    while n:
        n -= 1
        if n % 3 == 0:
            continue
        yield n


class Walker:
    def __init__(self, limit):
        self.limit = limit
        self.seen = []

    def walk(self):
        i = 0
        while True:
            i += 1
            if i > self.limit:
                break
            if i % 2:
                continue
            self.seen.append(i)
        return i


def main(n):
    trail = []
    i = 0
    while i < n:                      # migrates: steered
        j = 0
        total = 0
        while j < i:                  # no point: fuelled in C
            total += collatz(j + 1)
            j += 1
        trail.append((i, total, hop()))
        i += 1
    k = 0
    while k < 4:                      # no point, with else
        k += 1
    else:
        trail.append(("else", k))
    w = Walker(n * 3)
    trail.append(("walk", w.walk(), w.seen, hop()))
    trail.append(("down", list(countdown(n * 2)), hop()))
    m = 0
    while m < 50:                     # no point, broken out of
        m += 7
        if m > 30:
            break
    trail.append(("m", m, hop()))
    return trail, node_id()
