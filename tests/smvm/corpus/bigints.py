# args: [200]
# big integers computed and carried across migrations.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(n):
    big = 2 ** n
    neg = -(3 ** 150)
    hop()
    prod = big * neg
    fact = 1
    for i in range(1, 60):
        fact *= i
        if i % 20 == 0:
            hop()
    q, r = divmod(fact, 10 ** 30 + 7)
    hop()
    m = pow(7, 10 ** 20, 10 ** 40 + 3)
    bits = big.bit_length() + (big - 1).bit_length()
    mixed = [big, neg, 0, -1, 2 ** 63, -(2 ** 63) - 1, 2 ** 64, 2 ** 64 - 1]
    hop()
    return prod, fact, q, r, m, bits, mixed, hex(neg)[:12], node_id()
