# args: []
# sets, frozensets, tuples, bytes, bytearrays and ranges across migrations.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    s = {1, 2, 3}
    fs = frozenset(["a", "b"])
    t = (1, (2, 3), [4, 5], "six")
    empty = ((), set(), frozenset(), b"", bytearray())
    raw = b"\x00\xffbytes"
    buf = bytearray(b"abc")
    alias = buf
    r = range(2, 20, 3)
    single = (7,)
    hop()
    s.add(hop())
    s |= {10, 11}
    alias.extend(b"def")
    alias[0] = 65
    t[2].append(6)
    hop()
    nested = {fs: "frozen key", (1, 2): "tuple key"}
    return (sorted(s), fs, t, empty, raw, buf, buf is alias, r, list(r), single,
            nested[frozenset({"b", "a"})], nested[(1, 2)], raw[1:3], raw.hex(), node_id())
