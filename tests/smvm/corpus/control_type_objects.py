# args: []
# control: builtin types used as values (unbound methods, class methods, isinstance), no migration.


def main():
    x = [3]
    list.append(x, 1)
    d = {"k": 1}
    checks = [
        isinstance([], (int, (list, dict))),
        isinstance(b"", (bytes, bytearray)),
        isinstance(3, (str, float)),
    ]
    return (x, dict.get(d, "k"), set.union({1}, {2}), tuple.count((1, 1), 1),
            str.join("-", ["a", "b"]), bytes.fromhex("4142"), dict.fromkeys("ab", 0),
            int.from_bytes(b"\x01\x00", "big"), checks, sorted(["b", "A"], key=str.lower))
