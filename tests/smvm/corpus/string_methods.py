# args: ["  Hello, Smart World!  "]
# common str and bytes methods around migrations.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(text):
    s = text.strip()
    hop()
    words = s.replace(",", "").replace("!", "").split()
    hop()
    out = [
        s.lower(), s.upper(), s.title(), words, "_".join(words),
        s.startswith("Hello"), s.endswith("?"), s.find("Smart"), s.count("l"),
        s.center(24, "*"), s.ljust(22, "."), s.rjust(22), s.zfill(25),
        s.partition(", "), s.rsplit(" ", 1), s.isalpha(), "123".isdigit(),
        "a,b,,c".split(","), "x".join("abc"), s[::-1], s.index("W"),
        s.encode("utf-8"), "héllo".encode("utf-8").decode("utf-8"),
        "Tab\tNew\nline".splitlines(), "  pad ".lstrip(), "  pad ".rstrip(),
        ord("A"), chr(0x263A), repr("quote'\""), ascii_like(s),
    ]
    hop()
    b = b"key=value;other=thing"
    pairs = [p.split(b"=") for p in b.split(b";")]
    out.append(pairs)
    out.append(b.upper().decode())
    out.append(bytes([104, 105]) + bytes(2))
    out.append(b"abc".replace(b"b", b"B"))
    return out, node_id()


def ascii_like(s):
    return "".join([c if ord(c) < 128 else "?" for c in s + "é"])
