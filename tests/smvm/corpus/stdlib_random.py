# args: [5]
# nodes: 3
# random: the module's generator (seeded) and a generator of the SM's own
# keep their sequences across hops, as CPython's random.Random does.
import random
from random import randint


def hop():
    sys_migrate("2" if node_id() == "1" else "1")


def main(n):
    random.seed(2024)
    mine = random.Random("carried")
    draws = []
    deck = list(range(10))
    for i in range(n):
        draws.append(random.random())
        hop()
        draws.append(mine.randint(1, 6))
        draws.append(randint(0, 100))
        mine.shuffle(deck)
        hop()
        draws.append(random.choice("abcdef"))
        draws.append(mine.sample(deck, 3))
        draws.append(round(random.gauss(0, 1), 9))
    state = mine.getstate()
    first = mine.random()
    hop()
    mine.setstate(state)
    return draws, deck, first == mine.random(), random.uniform(2, 3), random.randrange(0, 50, 5)
