# args: [[38, 27, 43, 3, 9, 82, 10, 3]]
# control: recursive merge sort and quick sort, no migration.


def merge_sort(xs):
    if len(xs) <= 1:
        return xs
    mid = len(xs) // 2
    left, right = merge_sort(xs[:mid]), merge_sort(xs[mid:])
    out = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    return out + left[i:] + right[j:]


def quick(xs):
    if not xs:
        return []
    pivot, *rest = xs
    return quick([x for x in rest if x < pivot]) + [pivot] + quick([x for x in rest if x >= pivot])


def main(values):
    a = merge_sort(values)
    b = quick(values)
    c = sorted(values, reverse=True)
    return a, b, a == b, c, list(map(lambda v: v % 10, values)), list(filter(None, [0, 1, 2])), node_id()
