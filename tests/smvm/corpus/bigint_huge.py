# args: [100000]
# an integer with tens of thousands of digits is carried across migrations.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(n):
    big = 7 ** n
    hop()
    big += 1
    hop()
    return big.bit_length(), big % 1000000007, (big - 1) % 7, node_id()
