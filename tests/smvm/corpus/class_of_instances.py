# args: [5]
# nodes: 3
# `obj.__class__` on instances of the brick's classes: class attributes read
# through it (overridden in a subclass), identity comparisons, calling it to
# make a sibling instance; an SM that migrates between the reads.


class Strength:
    REQUIRED = 0
    WEAK = 5

    def __init__(self, strength, name):
        self.strength = strength
        self.name = name

    def next_weaker(self):
        return {0: self.__class__.WEAK, 5: self.__class__.REQUIRED}[self.strength]

    def copy(self):
        return self.__class__(self.strength, self.name + "'")


class Loose(Strength):
    WEAK = 9


def main(n):
    out = []
    for i in range(n):
        s = Strength(0, "s") if i % 2 else Loose(0, "l")
        sys_migrate("1" if node_id() == "0" else "0")
        twin = s.copy()
        out.append([s.next_weaker(), twin.name, twin.__class__ is s.__class__,
                    isinstance(twin, Loose)])
    kind = Loose(5, "x").__class__
    sys_migrate("1" if node_id() == "0" else "0")
    out.append(kind is Loose)
    return out
