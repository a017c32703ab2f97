# args: [4]
# nodes: 3
# print(..., file=...) to io.StringIO buffers and to an object of the brick
# with a write method, with sep, end and flush; StringIO values (open, read
# halfway, closed) carried across hops with their text and position.
import io


def hop():
    sys_migrate("1" if node_id() != "1" else "2")
    return node_id()


class Sink:
    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)
        return len(text)

    def flush(self):
        self.parts.append("<flush>")


def table(rows, out):
    for row in rows:
        print(*row, sep=" | ", end=" ;\n", file=out)
        hop()


def walk_lines(text):
    seen = []
    source = io.StringIO(text)
    for line in source:  # the StringIO is the loop's iterator: it travels
        seen.append((line, hop(), source.tell()))
    return seen


def main(n):
    walked = walk_lines("a\nbb\nccc")
    buf = io.StringIO()
    table([(i, i * i, "x" * i) for i in range(n)], buf)
    print("no newline", end="", file=buf)
    print(file=buf)
    print("", "sep None", sep=None, end=None, file=buf)
    hop()
    reader = io.StringIO(buf.getvalue())
    first = reader.readline()
    hop()
    rest = reader.read(5)
    where = reader.tell()
    sink = Sink()
    print("a", 1, [2, 3], sep="", file=sink, flush=True)
    print(file=sink)
    closed = io.StringIO("gone")
    closed.close()
    hop()
    with io.StringIO() as scratch:
        scratch.write("abc")
        scratch.seek(1)
        scratch.write("Z")
        hop()
        scratch_value = scratch.getvalue()
    lines = io.StringIO("one\ntwo\nthree").readlines()
    return (buf.getvalue(), first, rest, where, reader.read(), sink.parts, closed.closed,
            scratch.closed, scratch_value, lines, isinstance(buf, io.StringIO), walked)
