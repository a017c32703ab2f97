"""Classes 2, 3, 4, 5, 10 and 11: one-line SMs whose outcome once killed a
node (huge ints, logs, results, lifetimes, error messages), values that
named host methods, deep values, C-level work outside the budgets, the tag
quota leak and the exit status of ``smvm exec``. Each ends only its SM, with
a bounded record, in every mode; the node then serves a normal SM."""
from __future__ import annotations

import logging

import msgpack
import pytest
import trio

from sim.testing import core, run_until_quiet
from smvm import statecodec
from smvm.client import inject
from smvm.errors import RemoteInputError
from smvm.limits import MAX_ERROR_CHARS, MAX_LOG_LINE_CHARS
from smvm.node import events as ev
from tests.patience import PATIENCE

from ._attack import assert_core_still_serves, assert_exec_still_serves, exec_sm
from ._workers import assert_still_serves, start_solo

#: name -> (source, check of (result, error, logs))
ONE_LINERS = {
    "huge_int_result": ("def main():\n    return 10 ** 5000\n",
                        lambda r, e, logs: e is None and r == 10 ** 5000),
    "nine_mb_log_line": ("def main():\n    log('x' * 9_000_000)\n    return 1\n",
                         lambda r, e, logs: e is None and r == 1 and len(logs) == 1
                         and len(logs[0]) < MAX_LOG_LINE_CHARS + 100 and "truncated" in logs[0]),
    "nine_mb_result": ("def main():\n    return 'r' * 9_000_000\n",
                       lambda r, e, logs: e is not None and e["type"] == "ResultError"),
    "lifetime_overflow": ("def main():\n    create_tag('t', 1, 10 ** 400)\n",
                          lambda r, e, logs: e is not None and e["type"] == "ValueError"
                          and len(e["message"]) < 300),
    "huge_error_message": ("def main():\n    raise ValueError('m' * 5_000_000)\n",
                           lambda r, e, logs: e is not None and e["type"] == "ValueError"
                           and len(e["message"]) < MAX_ERROR_CHARS + 100),
    "huge_key_error": ("def main():\n    return {}['k' * 5_000_000]\n",
                       lambda r, e, logs: e is not None and e["type"] == "KeyError"
                       and len(e["message"]) < MAX_ERROR_CHARS + 100),
}


def _error(error) -> dict | None:
    if error is None:
        return None
    return error if type(error) is dict else error.to_json()


@pytest.mark.parametrize("name", sorted(ONE_LINERS))
def test_a_one_line_sm_ends_bounded_in_exec(name: str) -> None:
    source, check = ONE_LINERS[name]
    result = exec_sm(source)
    logs = [line["text"] if type(line) is dict else line.text for line in result.log]
    assert check(result.result, _error(result.error), logs), (result.result, result.error)
    assert_exec_still_serves()


@pytest.mark.parametrize("name", sorted(ONE_LINERS))
def test_a_one_line_sm_ends_bounded_on_a_node(name: str) -> None:
    source, check = ONE_LINERS[name]
    node = core()
    node.inject(source, [], 0.0)
    run_until_quiet(node)
    events = node.events()
    logs = [e.text for e in events if isinstance(e, ev.LogLine)]
    [end] = [e for e in events if isinstance(e, (ev.SMFinished, ev.SMFailed))]
    value = end.value if isinstance(end, ev.SMFinished) else None
    error = end.error if isinstance(end, ev.SMFailed) else None
    assert check(value, error, logs), (value, error)
    assert_core_still_serves(node)


@pytest.mark.parametrize("name", sorted(ONE_LINERS))
async def test_a_one_line_sm_ends_bounded_in_a_daemons_worker(name: str, caplog) -> None:
    caplog.set_level(logging.INFO, logger="smvm.node")
    source, check = ONE_LINERS[name]
    async with trio.open_nursery() as nursery:
        address = await start_solo(nursery)
        outcome = await inject(address, source, [], wait=True, timeout=PATIENCE)
        # the daemon's log of the SM's lines ("[sm id] text")
        logs = [r.getMessage().split("] ", 1)[1] for r in caplog.records
                if r.getMessage().startswith(f"[{outcome.sm_id}]")]
        assert check(outcome.value, outcome.error, logs), (outcome.value, outcome.error)
        await assert_still_serves(address)
        nursery.cancel_scope.cancel()


# ---- class 10: the tag quota ---------------------------------------------------

def test_failed_creates_leave_no_quota_charge() -> None:
    source = '''
def main():
    failures = 0
    for i in range(3000):
        try:
            create_tag("t" + str(i), "v" * 100, 10 ** 400)
        except ValueError:
            failures += 1
    create_tag("after", "v" * 100, 10)
    return [failures, read_tag("after")]
'''
    result = exec_sm(source, cpu_seconds=30.0)
    assert result.error is None and result.result == [3000, "v" * 100]
    assert_exec_still_serves()


# ---- class 3: host methods as values ---------------------------------------------

@pytest.mark.parametrize("ref", ["method:str.format", "method:str.format_map", "builtin:type",
                                 "builtin:getattr", "builtin:__import__", "builtin:eval",
                                 "method:object.__subclasses__"])
def test_a_value_naming_a_host_method_is_refused(ref: str) -> None:
    blob = msgpack.packb([msgpack.ExtType(7, ref.encode())], use_bin_type=True)
    with pytest.raises(RemoteInputError):
        statecodec.loads(blob)
    with pytest.raises(RemoteInputError):
        statecodec.loads(blob, limits=statecodec.UNTRUSTED_LIMITS)
    assert_core_still_serves(core())


# ---- classes 4 and 5: deep values, C-level work ------------------------------------

HEAVY = {
    "deep_tuple_hash": "t = ()\n    for i in range(1_000_000):\n        t = (t,)\n    return {t}",
    "deep_filter_next": "f = [1]\n    for i in range(1_000_000):\n        f = filter(None, f)\n"
                        "    return next(f)",
    "deep_tuple_compare": "a, b = (), ()\n    for i in range(1_000_000):\n"
                          "        a, b = (a,), (b,)\n"
                          "    return a == b",
    "float_in_huge_range": "return 0.5 in range(10 ** 18)",
    "range_count": "return range(10 ** 18).count(0.5)",
    "fsum_huge_range": "return math.fsum(range(10 ** 18))",
    "count_long_strings": "x = ['y' * 100_000] * 100_000\n    return x.count('y' * 99_999 + 'z')",
    "index_long_strings": "x = ['y' * 100_000] * 100_000\n    return x.index('y' * 99_999 + 'z')",
    "huge_power": "return 7 ** (10 ** 9)",
    "huge_repeat": "return len('x' * (10 ** 12))",
}


@pytest.mark.parametrize("name", sorted(HEAVY))
def test_deep_values_and_c_level_work_end_only_their_sm(name: str) -> None:
    source = "import math\n\ndef main():\n    " + HEAVY[name] + "\n"
    result = exec_sm(source, fuel=5_000_000)  # C-level work is charged before it runs
    assert result.error is not None, f"{name} ran to a result: {str(result.result)[:80]}"
    error = _error(result.error)
    assert error["type"] not in ("VMBug", "UsageError") and len(error["message"]) < 2200
    assert_exec_still_serves()


#: Walks that grow what they walk, every item seen (as in CPython): endless
#: but for the budgets. A comprehension walked its list in C, uncharged. (A
#: generator expression walks its list in copied chunks, charged:
#: ``Runtime.lazy_counted``.)
GROWING = {
    "list_comprehension": "xs = [1]\n    return [xs.append(1) for x in xs]",
    "set_comprehension": "xs = [1]\n    return {xs.append(x) for x in xs}",
    "dict_comprehension": "xs = [1]\n    return {0: xs.append(x) for x in xs}",
    "nested_comprehension": "xs = [1]\n    return [y for x in [0] for y in xs if xs.append(y) is None]",
    "bytearray_comprehension": "b = bytearray(1)\n    return [b.append(0) for x in b]",
    "for_loop": "xs = [1]\n    for x in xs:\n        xs.append(x)",
}


@pytest.mark.parametrize("name", sorted(GROWING))
def test_a_walk_that_grows_what_it_walks_runs_out_of_fuel(name: str) -> None:
    result = exec_sm("def main():\n    " + GROWING[name] + "\n", fuel=1_000_000)
    assert result.error is not None and _error(result.error)["type"] == "FuelExhausted", \
        result.error
    assert_exec_still_serves()


def test_a_comprehension_sees_what_its_body_appends_as_cpython_does() -> None:
    source = ("def main():\n    xs = [3]\n"
              "    ys = [xs.append(x - 1) or x for x in xs if x > 0]\n"
              "    return [xs, ys, {x: xs.pop() for x in [0, 1]}]\n")
    namespace: dict = {}
    exec(source, namespace)
    result = exec_sm(source)
    assert result.error is None and result.result == namespace["main"]()


# ---- class 11: what exec reports --------------------------------------------------

def test_exec_reports_a_huge_guest_error_as_a_guest_error(tmp_path, capsys) -> None:
    from apps.cli import main
    brick = tmp_path / "boom.py"
    brick.write_text("def main():\n    raise ValueError('m' * 5_000_000)\n")
    status = main(["exec", str(brick)])
    captured = capsys.readouterr()
    assert status == 1, captured.err[-300:]
    assert len(captured.out) + len(captured.err) < 20_000
    assert "ValueError" in captured.out + captured.err
    assert_exec_still_serves()


@pytest.mark.parametrize("body", ["return str(math)", "return repr(math)",
                                  "return str(list.real)", "return str(dict.real)"])
def test_no_host_object_or_address_is_shown(body: str) -> None:
    result = exec_sm("import math\n\ndef main():\n    " + body + "\n")
    shown = str(result.result) + str(_error(result.error))
    assert "0x" not in shown and "smvm" not in shown and "<class" not in shown, shown
    assert_exec_still_serves()
