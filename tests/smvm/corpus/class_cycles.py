# args: [6]
# nodes: 3
# Instances in cycles and shared between containers: a doubly linked ring and
# a tree with parent links keep their identity across every hop; bound
# methods of instances travel too.


class Node:
    def __init__(self, value):
        self.value = value
        self.prev = self
        self.next = self

    def insert_after(self, node):
        node.prev = self
        node.next = self.next
        self.next.prev = node
        self.next = node
        return node


class Tree:
    def __init__(self, label, parent=None):
        self.label = label
        self.parent = parent
        self.children = []
        if parent is not None:
            parent.children.append(self)

    def path(self):
        out = []
        node = self
        while node is not None:
            out.append(node.label)
            sys_migrate("1" if node_id() == "0" else "0")
            node = node.parent
        return "/".join(reversed(out))


def main(n):
    head = Node(0)
    cur = head
    for i in range(1, n):
        cur = cur.insert_after(Node(i))
        sys_migrate("1" if node_id() == "0" else "0")
    root = Tree("root")
    leaf = Tree("c", Tree("b", Tree("a", root)))
    index = {"head": head, "leaf": leaf, "again": head}
    grow = root.children.append
    sys_migrate("1" if node_id() == "0" else "0")
    grow(Tree("z"))
    values = []
    node = index["head"]
    for step in range(2 * n):
        values.append(node.value)
        node = node.next
    back = []
    node = head.prev
    for step in range(n):
        back.append(node.value)
        node = node.prev
    return [values, back, index["again"] is head, head.next.prev is head, leaf.path(),
            [c.label for c in root.children], leaf.parent.parent.parent is root, node_id()]
