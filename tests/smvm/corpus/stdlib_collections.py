# args: [4]
# nodes: 3
# collections: deque, Counter, OrderedDict, defaultdict and namedtuple values
# travel mid-use with their identity (a deque that holds a list holding the
# deque) and keep working after each hop.
from collections import Counter, OrderedDict, defaultdict, deque, namedtuple

Point = namedtuple("Point", "x y")
Span = namedtuple("Span", ["start", "end"], defaults=[0])


def hop():
    sys_migrate("2" if node_id() == "1" else "1")


def main(n):
    window = deque(maxlen=3)
    seen = Counter()
    order = OrderedDict()
    groups = defaultdict(list)
    box = [window]
    window.append(box)
    points = []
    for i in range(n):
        window.append(i)
        seen.update(str(i * 7))
        order[str(i)] = i * i
        groups[i % 2].append(i)
        points.append(Point(i, -i))
        hop()
        window.appendleft(-i)
        order.move_to_end(str(i), last=False)
        seen["x"] += 1
        hop()
    shared = window[0] is box if window and isinstance(window[0], list) else None
    moved = Point(points[-1].x, 99)
    return ([v for v in window if not isinstance(v, list)], seen.most_common(3), list(order.items()), dict(groups),
            [tuple(p) for p in points], tuple(moved), tuple(Span(3)), Span(1, 2).end, points[1].y, shared, window.maxlen,
            box[0] is window, sorted(seen.elements())[:5], seen.total())
