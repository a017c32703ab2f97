# args: [[3, 1, 0]]
# ends with an uncaught ZeroDivisionError after migrations, through a finally block.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main(divisors):
    acc = 1000
    for d in divisors:
        try:
            hop()
            acc = acc // d
        finally:
            hop()
    return acc
