# args: [4]
# migrations inside try bodies, except handlers, else and finally blocks.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def risky(n):
    hop()
    if n % 2:
        raise ValueError("odd " + str(n))
    return n * 2


def main(n):
    log = []
    for i in range(n):
        try:
            log.append(("try", i, hop()))
            value = risky(i)
        except ValueError as e:
            log.append(("except", str(e), hop()))
        else:
            log.append(("else", value, hop()))
        finally:
            log.append(("finally", i, hop()))
    try:
        hop()
        try:
            hop()
            {}["missing"]
        except KeyError as inner:
            hop()
            log.append(("inner", inner.args))
            raise IndexError("converted")
        finally:
            log.append(("inner-finally", hop()))
    except (IndexError, TypeError) as outer:
        log.append(("outer", str(outer), hop()))
    try:
        pass
    except Exception:
        log.append("never")
    else:
        log.append(("plain else", hop()))
    return log, node_id()
