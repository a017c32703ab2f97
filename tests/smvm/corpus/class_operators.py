# args: [5]
# nodes: 4
# A value class with operator overloading, comparisons, hashing and a
# container protocol; the SM migrates from methods and between operations.


class Money:
    """An amount in cents with a currency."""

    rate = 100

    def __init__(self, cents, currency="EUR"):
        self.cents = cents
        self.currency = currency

    def __add__(self, other):
        if isinstance(other, int):
            return Money(self.cents + other, self.currency)
        return Money(self.cents + other.cents, self.currency)

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return Money(self.cents - other.cents, self.currency)

    def __mul__(self, k):
        return Money(self.cents * k, self.currency)

    def __neg__(self):
        return Money(-self.cents, self.currency)

    def __eq__(self, other):
        return isinstance(other, Money) and (self.cents, self.currency) == (other.cents, other.currency)

    def __lt__(self, other):
        return self.cents < other.cents

    def __le__(self, other):
        return self.cents <= other.cents

    def __hash__(self):
        return hash((self.cents, self.currency))

    def __bool__(self):
        return self.cents != 0

    def __repr__(self):
        return f"Money({self.cents}, {self.currency!r})"

    def __str__(self):
        return f"{self.cents // self.rate}.{self.cents % self.rate:02d} {self.currency}"


class Ledger:
    def __init__(self):
        self.entries = []

    def __len__(self):
        return len(self.entries)

    def __getitem__(self, i):
        return self.entries[i]

    def __setitem__(self, i, value):
        self.entries[i] = value

    def __contains__(self, m):
        return m in self.entries

    def __iter__(self):
        return iter(self.entries)

    def __call__(self, m):
        self.entries.append(m)
        return len(self.entries)

    def walk(self, m):
        here = int(node_id())
        sys_migrate(str(here + 1) if here < 3 else str(here - 1))
        return self(m)


def main(n):
    book = Ledger()
    for i in range(n):
        book.walk(Money(150 * i + 5))
    total = sum(book, Money(0))
    book[0] = -book[0]
    here = int(node_id())
    sys_migrate(str(here - 1) if here > 0 else "1")
    ordered = sorted(book)
    seen = {m: i for i, m in enumerate(book)}
    return [repr(total), str(total), len(book), Money(155) in book, Money(7) in book,
            [repr(m) for m in ordered], seen[Money(305)], bool(Money(0)), max(book) == book[-1],
            Money(1) * 3 == Money(3), Money(2) <= Money(2), node_id()]
