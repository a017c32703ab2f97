# args: [3.14159, "tag"]
# f-strings and format specs with migrating calls inside the replacement fields.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def hop_num(v):
    hop()
    return v


def main(pi, name):
    width = 8
    parts = [
        f"{hop():>5}",
        f"[{name!r:^10}]",
        f"{hop_num(pi):.2f}|{hop_num(255):#x}|{hop_num(255):08b}",
        f"{hop_num(pi):{width}.{hop() + 2}f}",
        f"{hop_num(1234567):,}",
        f"{hop_num(-42):+d} {hop_num(0.25):%}",
        f"{'nested ' + f'{hop():03d}'}",
        f"{hop_num([1, 2])}{hop_num({'k': 1})!s}",
        "{:>6}|{:<4}|{:^5}".format(hop(), "ab", hop_num("c")),
        "%s-%05.1f-%r" % (hop(), pi, name),
        format(hop_num(7), "03"),
    ]
    return parts, node_id()
