# args: []
# ends with RuntimeError: a dict grows while a loop over it migrates, as CPython reports.


def hop():
    sys_migrate(str(1 - int(node_id())))
    return int(node_id())


def main():
    seen = {"a": 1}
    for key in seen:
        hop()
        seen[key + "x"] = hop()
    return seen
