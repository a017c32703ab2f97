# args: []
# dict insertion order, mixed key types and nested dicts survive migrations.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    d = {}
    for k in ["zeta", "alpha", "mid"]:
        d[k] = len(k)
        hop()
    d.pop("alpha")
    d["alpha"] = 0
    mixed = {1: "int", "1": "str", (1,): "tuple", None: "none", 2.5: "float",
             True: "bool-collides-with-1", b"1": "bytes", frozenset([1]): "fs"}
    hop()
    mixed[3] = "added after move"
    inner = {"deep": {"deeper": {"deepest": [1, {"x": 2}]}}}
    hop()
    inner["deep"]["deeper"]["deepest"][1]["x"] += 1
    copy = dict(d)
    copy.update({"zeta": 99, "new": 1})
    hop()
    counts = {}
    for ch in "mississippi":
        counts[ch] = counts.get(ch, 0) + 1
    hop()
    counts.setdefault("z", 0)
    return (list(d.items()), list(mixed.items()), inner, list(copy.items()),
            list(counts.items()), list(counts), node_id())
