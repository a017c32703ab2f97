# args: [3]
# nodes: 3
# Single and multiple inheritance, super() chains, class attributes changed
# while the SM travels, explicit Base.__init__ calls and a method migrating
# halfway through an overridden call chain.


def hop():
    sys_migrate("1" if node_id() != "1" else "2")
    return node_id()


class Shape:
    made = 0
    sides = 0

    def __init__(self, name):
        self.name = name
        Shape.made += 1

    def area(self):
        return 0

    def describe(self):
        where = hop()
        return f"{self.name} with {self.sides} sides, area {self.area()} (on {where})"


class Rect(Shape):
    sides = 4

    def __init__(self, w, h):
        Shape.__init__(self, "rect")
        self.w = w
        self.h = h

    def area(self):
        return self.w * self.h


class Square(Rect):
    def __init__(self, s):
        super().__init__(s, s)
        self.name = "square"

    def describe(self):
        return "[" + super().describe() + "]"


class Tagged:
    def __init__(self, *args):
        self.tags = []
        super().__init__(*args)

    def tag(self, t):
        self.tags.append(t)
        hop()
        return self


class TaggedSquare(Tagged, Square):
    def describe(self):
        return "#".join(self.tags) + super().describe()


class Counter(Shape):
    def __init__(self):
        super().__init__("counter")
        self.n = 0

    def area(self):
        self.n += 1
        return self.n


def main(k):
    shapes = [Rect(2, 3), Square(k), TaggedSquare(k + 1).tag("a").tag("b"), Counter()]
    out = [s.describe() for s in shapes]
    c = shapes[-1]
    for step in range(k):
        c.describe()
        Shape.sides += 1
    mro = [isinstance(shapes[2], Rect), isinstance(shapes[2], Tagged), isinstance(c, Rect)]
    return out, c.n, Shape.made, Shape.sides, Rect.sides, shapes[2].tags, mro, node_id()
