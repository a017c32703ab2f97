"""Resource exhaustion: every brick here must end as a guest error of the right
type (fuel, memory, recursion budget) quickly, and the VM must keep working.

A VM that lacks a guard would hang in C code (where no signal can interrupt it)
or eat the machine's memory, so each bomb runs in a forked child with an
address-space cap and a CPU-time limit; the child then runs a normal brick to
show the VM still works after the bomb. ``test_in_process_*`` run the bounded
cases in this process too, to show the test process itself survives them.

No assertion here reads a clock: what stopped a bomb is judged by the error
type and by the fuel the run reports (never more than its budget). A bomb a
guard misses shows as a wrong outcome, or as a child the kernel ends at its
CPU limit ("hung").
"""
from __future__ import annotations

import multiprocessing
import resource
import signal
import traceback

import pytest

FUEL = 1_000_000
MEMORY_MB = 64
# A hung child is one that burns this much CPU: the kernel ends it (SIGXCPU), so
# a busy machine, which stretches wall time, never makes a bomb look hung.
CHILD_CPU_SECONDS = 30
# Only a last resort against a child stuck off the CPU (it never should be).
CHILD_WALL_DEADLINE = 600.0
HEADROOM = 3 << 30            # address space a child may add before MemoryError

NORMAL = '''
def main(n):
    total = 0
    for i in range(n):
        sys_migrate(str(1 - int(node_id())))
        total += i
    return total, node_id()
'''
NORMAL_ARGS = [5]
NORMAL_RESULT = (10, "1")

FUEL_ONLY = {"FuelExhausted"}
MEMORY_ONLY = {"MemoryExhausted"}
EITHER = {"FuelExhausted", "MemoryExhausted"}
CONVERSION = {"ValueError", "MemoryExhausted", "FuelExhausted"}
# A power known to be too large up front may be refused as OverflowError, as
# CPython refuses float overflow; building it must never be attempted.
POWER = {"MemoryExhausted", "OverflowError"}
# Big-int arithmetic cannot be metered item by item; a CPU-time backstop
# (short here: BACKSTOP_SECONDS) is an acceptable way to stop it.
BIGINT = POWER | {"FuelExhausted", "CPUTimeExhausted"}
BACKSTOP_SECONDS = 1.0
# Long loops inside builtins: metering them as fuel is best, the CPU backstop
# is acceptable too.
CWORK = EITHER | {"CPUTimeExhausted"}


def brick(body: str, params: str = "") -> str:
    """A brick whose ``main`` runs ``body`` (indented four spaces)."""
    lines = "\n".join("    " + line for line in body.strip("\n").splitlines())
    return f"import math\n\n\ndef main({params}):\n{lines}\n"


# (id, source, accepted error types, compile error acceptable, run_line kwargs)
BOMBS = [
    # --- Python-level loops and recursion ---------------------------------------
    ("while_true", brick("while True:\n    pass"), FUEL_ONLY, False, {}),
    ("while_true_busy", brick("x = 0\nwhile True:\n    x = (x + 1) % 7"), FUEL_ONLY, False, {}),
    ("infinite_recursion", "def f(n):\n    return f(n + 1) + 1\n\ndef main():\n    return f(0)\n",
     {"RecursionLimit"}, False, {}),
    ("infinite_mutual_recursion",
     "def a(n):\n    return b(n) + 1\n\ndef b(n):\n    return a(n) + 1\n\ndef main():\n    return a(0)\n",
     {"RecursionLimit"}, False, {}),
    ("recursion_through_lambda", brick("f = lambda n: f(n + 1)\nreturn f(0)"),
     {"RecursionLimit"}, False, {}),
    ("recursion_through_builtin",
     "def f(x):\n    return sorted([1, 2], key=f)\n\ndef main():\n    return f(0)\n",
     {"RecursionLimit"}, False, {}),
    ("list_growth_loop", brick("keep = []\nfor i in range(400):\n    keep.append([i] * 100000)\n"
                               "return len(keep)"), MEMORY_ONLY, False, {"fuel": 10**8}),
    ("string_doubling_loop", brick("s = 'x'\nfor i in range(40):\n    s = s + s\nreturn len(s)"),
     MEMORY_ONLY, False, {"fuel": 10**8}),
    # growing to the memory cap takes about a CPU second: the backstop may end it first
    ("dict_growth_loop", brick("d = {}\ni = 0\nwhile i < 10 ** 8:\n    d[i] = i\n    i += 1\n"
                               "return len(d)"), EITHER | {"CPUTimeExhausted"}, False,
     {"fuel": 10**9}),
    # allocation-heavy: on a loaded machine the CPU backstop may come first
    ("deep_nesting_loop", brick("x = []\nfor i in range(10 ** 7):\n    x = [x]\nreturn 1"),
     MEMORY_ONLY | {"CPUTimeExhausted"}, False, {"fuel": 10**9}),
    # --- size of one operation's result -----------------------------------------
    ("list_times_huge", brick("return len([0] * 10 ** 10)"), MEMORY_ONLY, False, {}),
    ("str_times_huge", brick('return len("x" * 10 ** 10)'), MEMORY_ONLY, False, {}),
    ("bytes_times_huge", brick('return len(b"x" * 10 ** 10)'), MEMORY_ONLY, False, {}),
    ("tuple_times_huge", brick("return len((1,) * 10 ** 10)"), MEMORY_ONLY, False, {}),
    ("huge_times_str", brick('return len(10 ** 10 * "ab")'), MEMORY_ONLY, False, {}),
    ("chained_multiply", brick('return len("x" * 10 ** 5 * 10 ** 5)'), MEMORY_ONLY, False, {}),
    ("inplace_multiply", brick("x = [1, 2]\nx *= 10 ** 10\nreturn len(x)"), MEMORY_ONLY, False, {}),
    ("big_power", brick("return 10 ** 10 ** 8 > 0"), POWER, False, {}),
    ("big_pow_builtin", brick("return pow(10, 10 ** 8) > 0"), POWER, False, {}),
    ("big_power_inplace", brick("x = 10\nx **= 10 ** 8\nreturn x > 0"), POWER, False, {}),
    ("big_power_negative_base", brick("return (-7) ** (10 ** 8 + 1) < 0"), POWER, False, {}),
    ("big_shift", brick("return (2 << 10 ** 9) > 0"), MEMORY_ONLY, False, {}),
    ("big_power_in_loop", brick("x = 3\nfor i in range(40):\n    x = x * x\nreturn x > 0"),
     BIGINT, False, {}),
    ("big_multiply_once", brick("x = 3 ** 600000\nfor i in range(5):\n    x = x << (x.bit_length() - 1)\n"
                                "return (x * x) > 0"), BIGINT, False, {"memory_mb": 256}),
    # one C call that runs for minutes on small operands: only a guard before
    # the call, or a CPU backstop that interrupts the call, can stop these
    ("big_multiply_single_op", brick("x = (1 << 60000000) - 1\nreturn (x * x) > 0"),
     BIGINT, False, {}),
    ("big_divide_single_op",
     brick("a = (1 << 8000000) - 12345\nb = (1 << 4000000) - 1\nreturn (a // b) > 0"),
     BIGINT, False, {}),
    ("big_modpow_single_op", brick("return pow(3, (1 << 50000) - 1, (1 << 50000) + 1) > 0"),
     BIGINT, False, {}),
    ("big_factorial", brick("return math.factorial(10 ** 7) > 0"), BIGINT, False, {}),
    ("big_comb", brick("return math.comb(10 ** 7, 5 * 10 ** 6) > 0"), BIGINT, False, {}),
    ("big_perm", brick("return math.perm(10 ** 7, 5 * 10 ** 6) > 0"), BIGINT, False, {}),
    ("big_prod", brick("return math.prod(range(1, 10 ** 6)) > 0"), BIGINT, False, {}),
    ("big_lcm", brick("return math.lcm(*range(1, 10 ** 6)) > 0"), BIGINT, False, {}),
    ("big_isqrt_chain", brick("x = 10 ** 300000\nfor i in range(10 ** 6):\n    x = math.isqrt(x * x)\n"
                              "return x > 0"), BIGINT, False, {}),
    ("format_width", brick('return len("{:>10000000000}".format(1))'), MEMORY_ONLY, False, {}),
    ("fstring_width", brick('w = 10 ** 10\nreturn len(f"{1:>{w}}")'), MEMORY_ONLY, False, {}),
    ("format_builtin_width", brick('return len(format(1, "10000000000"))'), MEMORY_ONLY, False, {}),
    ("percent_width", brick('return len("%10000000000d" % 1)'), MEMORY_ONLY, False, {}),
    ("ljust_huge", brick('return len("x".ljust(10 ** 10))'), MEMORY_ONLY, False, {}),
    ("zfill_huge", brick('return len("1".zfill(10 ** 10))'), MEMORY_ONLY, False, {}),
    ("bytes_of_size", brick("return len(bytes(10 ** 10))"), MEMORY_ONLY, False, {}),
    ("bytearray_of_size", brick("return len(bytearray(10 ** 10))"), MEMORY_ONLY, False, {}),
    ("to_bytes_huge", brick('return len((1).to_bytes(10 ** 10, "big"))'), MEMORY_ONLY, False, {}),
    ("replace_blowup", brick('s = "x" * 10 ** 5\nreturn len(s.replace("", s))'),
     MEMORY_ONLY, False, {}),
    ("join_blowup", brick('part = "x" * 10 ** 6\nreturn len(",".join([part] * 10 ** 4))'),
     MEMORY_ONLY, False, {}),
    ("expandtabs_huge", brick('return len("\\t".expandtabs(10 ** 9))'), MEMORY_ONLY, False, {}),
    # --- long loops inside builtins (C code) ------------------------------------
    ("sum_range", brick("return sum(range(10 ** 13))"), CWORK, False, {}),
    ("max_range", brick("return max(range(10 ** 13))"), CWORK, False, {}),
    ("list_range", brick("return len(list(range(10 ** 12)))"), CWORK, False, {}),
    ("sorted_range", brick("return len(sorted(range(10 ** 12)))"), CWORK, False, {}),
    ("set_range", brick("return len(set(range(10 ** 12)))"), CWORK, False, {}),
    ("tuple_range", brick("return len(tuple(range(10 ** 12)))"), CWORK, False, {}),
    ("join_map_str_range", brick('return len("".join(map(str, range(10 ** 12))))'),
     CWORK, False, {}),
    ("any_generator", brick("return any(x < 0 for x in range(10 ** 13))"), EITHER, True, {}),
    ("all_map_lambda", brick("return all(map(lambda x: x >= 0, range(10 ** 13)))"),
     CWORK, False, {}),
    ("sum_of_lists", brick("return len(sum([[1]] * 10 ** 5, []))"), CWORK, False, {}),
    # a cheap-looking loop whose every step makes C code walk a big list
    ("membership_scan_loop",
     brick("lst = [0] * 10 ** 6\nn = 0\nwhile True:\n    if -1 in lst:\n        break\n    n += 1"),
     FUEL_ONLY | {"CPUTimeExhausted"}, False, {"fuel": 10_000}),
    ("slice_copy_loop",
     brick("lst = [0] * 10 ** 6\nwhile True:\n    copy = lst[:]"),
     CWORK, False, {"fuel": 10_000}),
    ("in_huge_range_list", brick("return -1 in list(range(10 ** 12))"), CWORK, False, {}),
    ("sorted_big_list", brick("x = [5] * 10 ** 7\nreturn len(sorted(x) * 10)"), CWORK, False, {}),
    # keys that all hash alike make one C call quadratic, with no signal checks inside
    ("hash_collision_set", brick("m = 2 ** 61 - 1\nreturn len(set(range(0, 2 * 10 ** 5 * m, m)))"),
     CWORK, False, {}),
    ("hash_collision_dict",
     brick("m = 2 ** 61 - 1\nreturn len(dict.fromkeys(range(0, 2 * 10 ** 5 * m, m)))"),
     CWORK, False, {}),
    ("iter_callable_sum", brick("return sum(iter(int, 1))"),
     EITHER | {"TypeError", "SandboxViolation"}, False, {}),
    ("iter_callable_list", brick("return len(list(iter(int, 1)))"),
     EITHER | {"TypeError", "SandboxViolation"}, False, {}),
    ("iter_callable_max", brick("return max(iter(int, 1))"),
     EITHER | {"TypeError", "SandboxViolation"}, False, {}),
    ("comprehension_range", brick("return len([x for x in range(10 ** 13)])"), EITHER, False, {}),
    ("comprehension_range_filtered", brick("return [x for x in range(10 ** 13) if x < 0]"),
     EITHER, False, {}),
    ("dict_comprehension_range", brick("return len({x: x for x in range(10 ** 13)})"),
     EITHER, False, {}),
    ("nested_comprehension", brick("return len([1 for a in range(10 ** 7) for b in range(10 ** 7)])"),
     EITHER, False, {}),
    # --- big-int conversions ----------------------------------------------------
    ("int_from_long_string", brick('return int("9" * 10 ** 6) > 0'), CONVERSION, False, {}),
    ("str_of_big_int", brick("return len(str(10 ** 100000))"), CONVERSION, False, {}),
    ("repr_of_big_int", brick("return len(repr(10 ** 100000))"), CONVERSION, False, {}),
    ("fstring_of_big_int", brick('return len(f"{10 ** 100000}")'), CONVERSION, False, {}),
    # --- deep structures through C recursion ------------------------------------
    ("repr_deep_nesting", brick("x = []\nfor i in range(100000):\n    x = [x]\nreturn len(repr(x))"),
     {"RecursionLimit"}, False, {"fuel": 10**8}),
    ("compare_deep_nesting",
     brick("x = []\ny = []\nfor i in range(100000):\n    x = [x]\n    y = [y]\nreturn x == y"),
     {"RecursionLimit"}, False, {"fuel": 10**8}),
    # --- guest code trying to outlive its budget --------------------------------
    ("bare_except_swallow",
     brick("n = 0\nwhile True:\n    try:\n        while True:\n            n += 1\n"
           "    except:\n        pass"), FUEL_ONLY, False, {}),
    ("except_exception_swallow",
     brick("while True:\n    try:\n        while True:\n            pass\n"
           "    except Exception:\n        pass"), FUEL_ONLY, False, {}),
    ("finally_continue_swallow",
     brick("while True:\n    try:\n        while True:\n            pass\n"
           "    finally:\n        continue"), FUEL_ONLY, False, {}),
    ("finally_loops_again",
     brick("try:\n    while True:\n        pass\nfinally:\n    while True:\n        pass"),
     FUEL_ONLY, False, {}),
    ("finally_return_swallow",
     "def spin():\n    try:\n        while True:\n            pass\n    finally:\n        return 0\n\n"
     "def main():\n    while True:\n        spin()\n", FUEL_ONLY, False, {}),
    ("recursion_bare_except",
     "def f(n):\n    try:\n        return f(n + 1)\n    except:\n        return f(n + 1)\n\n"
     "def main():\n    return f(0)\n", {"RecursionLimit", "FuelExhausted"}, False, {}),
    # a termination is final: 'finally: continue/return' must not swallow it
    ("finally_continue_swallows_memory",
     brick("n = 0\nwhile n < 5:\n    n += 1\n    try:\n        x = [0] * 10 ** 10\n"
           "    finally:\n        continue\nreturn n"), MEMORY_ONLY, False, {}),
    ("finally_return_swallows_recursion",
     "def f(n):\n    return f(n + 1)\n\ndef g():\n    try:\n        f(0)\n    finally:\n"
     "        return 'survived'\n\ndef main():\n    return g()\n", {"RecursionLimit"}, False, {}),
    # about a thousand hops: enough to show fuel ends it, few enough for a loaded machine
    ("migrating_forever", brick("while True:\n    sys_migrate(str(1 - int(node_id())))"),
     FUEL_ONLY, False, {"fuel": 3_000}),
    ("recursion_with_migration",
     "def f(n):\n    if n % 50 == 0:\n        sys_migrate(str(1 - int(node_id())))\n    return f(n + 1)\n\n"
     "def main():\n    return f(1)\n", {"RecursionLimit"}, False, {}),
]


def _address_space_cap(extra: int) -> None:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                current = int(line.split()[1]) * 1024
                break
        else:  # pragma: no cover - not Linux
            return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = current + extra
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _describe(run_line, CompileError, source, args, kwargs) -> dict:
    try:
        res = run_line(source, list(args), **kwargs)
    except CompileError as exc:
        return {"outcome": "compile", "message": str(exc)}
    except BaseException as exc:  # noqa: BLE001 - reported, never allowed
        return {"outcome": "raised", "type": type(exc).__name__, "message": str(exc)[:300],
                "trace": traceback.format_exc()[-1500:]}
    if res.error is not None:
        return {"outcome": "error", "type": res.error.type, "message": res.error.message[:300],
                "fuel": res.fuel}
    return {"outcome": "result", "result": repr(res.result)[:200]}


def _child(conn, source, args, kwargs):
    try:
        _address_space_cap(HEADROOM)
        resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS + 5))
        from smvm import CompileError
        from sim.line import run_line
        report = _describe(run_line, CompileError, source, args, kwargs)
        report["after"] = _describe(run_line, CompileError, NORMAL, NORMAL_ARGS, {})
    except BaseException as exc:  # noqa: BLE001
        report = {"outcome": "child failed", "type": type(exc).__name__, "message": str(exc)}
    conn.send(report)
    conn.close()


def run_in_child(source: str, args=(), **kwargs) -> dict:
    """Run a brick in a forked child; return what happened (or that it hung/died)."""
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(sender, source, args, kwargs), daemon=True)
    proc.start()
    sender.close()
    try:
        if receiver.poll(CHILD_WALL_DEADLINE):
            try:
                return receiver.recv()
            except EOFError:
                proc.join(5)
                if proc.exitcode == -signal.SIGXCPU:
                    return {"outcome": "hung", "after": None}
                return {"outcome": "died", "exitcode": proc.exitcode}
        return {"outcome": "stuck off the CPU", "after": None}
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        receiver.close()


def _has_cpu_budget(run_line) -> bool:
    import inspect
    return "cpu_seconds" in inspect.signature(run_line).parameters


@pytest.fixture(scope="module")
def vm():
    try:
        from smvm import CompileError
        from sim.line import run_line
    except Exception as exc:
        pytest.fail(f"sim.line.run_line is not importable: {type(exc).__name__}: {exc}")
    return run_line, CompileError


@pytest.mark.parametrize("name,source,accepted,compile_ok,kwargs", BOMBS,
                         ids=[b[0] for b in BOMBS])
def test_bomb_ends_as_guest_error(vm, name, source, accepted, compile_ok, kwargs):
    kwargs = {"fuel": FUEL, "memory_mb": MEMORY_MB, **kwargs}
    if _has_cpu_budget(vm[0]):
        kwargs.setdefault("cpu_seconds", BACKSTOP_SECONDS)
    report = run_in_child(source, (), **kwargs)
    if not (compile_ok and report["outcome"] == "compile"):
        assert report["outcome"] == "error", report
        assert report["type"] in accepted, report
        assert_within_fuel(report, kwargs["fuel"])
    assert report["after"] == {"outcome": "result", "result": repr(NORMAL_RESULT)}, report


def assert_within_fuel(report: dict, budget: int) -> None:
    """The run never charged more fuel than its budget, and a fuel stop spent
    all of it (a stop for another reason spent less)."""
    assert 0 < report["fuel"] <= budget, report
    if report["type"] == "FuelExhausted":
        assert report["fuel"] == budget, report


def test_normal_brick_in_child(vm):
    """The child harness itself works: a normal brick gives its result."""
    report = run_in_child(NORMAL, NORMAL_ARGS)
    assert report["outcome"] == "result" and report["result"] == repr(NORMAL_RESULT), report


# Bounded cases, safe to run here even against a VM without guards.
IN_PROCESS = [
    ("bounded_busy_loop", brick("i = 0\nwhile i < 10 ** 8:\n    i += 1\nreturn i"),
     FUEL_ONLY, {"fuel": 100_000}),
    ("recursion", "def f(n):\n    return f(n + 1) + 1\n\ndef main():\n    return f(0)\n",
     {"RecursionLimit"}, {"fuel": 10**7}),
    ("list_growth", brick("keep = []\nfor i in range(400):\n    keep.append([i] * 100000)\n"
                          "return len(keep)"), MEMORY_ONLY, {"fuel": 10**8, "memory_mb": 64}),
    ("fuel_in_comprehension", brick("return len([x for x in range(10 ** 8) if x < 0])"),
     EITHER, {"fuel": 100_000}),
]


@pytest.mark.parametrize("name,source,accepted,kwargs", IN_PROCESS,
                         ids=[c[0] for c in IN_PROCESS])
def test_in_process_then_vm_still_works(vm, name, source, accepted, kwargs):
    run_line, CompileError = vm
    res = run_line(source, [], **kwargs)
    assert res.error is not None, f"finished with {res.result!r}"
    assert res.error.type in accepted, (res.error.type, res.error.message)
    assert_within_fuel({"type": res.error.type, "fuel": res.fuel}, kwargs["fuel"])
    again = run_line(NORMAL, NORMAL_ARGS)
    assert again.error is None and again.result == NORMAL_RESULT


def test_fuel_budget_is_per_run(vm):
    """A run that exhausts its fuel leaves nothing behind for the next one."""
    run_line, CompileError = vm
    spin = brick("while True:\n    pass")
    for i in range(3):
        res = run_line(spin, [], fuel=50_000)
        assert res.error is not None and res.error.type == "FuelExhausted"
        assert res.fuel is not None
    ok = run_line(NORMAL, NORMAL_ARGS, fuel=50_000)
    assert ok.error is None and ok.result == NORMAL_RESULT


def test_recursion_limit_is_generous_enough(vm):
    """Ordinary recursion (depth 200, with migrations) is not mistaken for a runaway."""
    run_line, CompileError = vm
    src = ("def depth(n):\n    if n == 0:\n        return 0\n    if n % 40 == 0:\n"
           "        sys_migrate(str(1 - int(node_id())))\n    return depth(n - 1) + 1\n\n"
           "def main(n):\n    return depth(n)\n")
    res = run_line(src, [200])
    assert res.error is None, (res.error.type, res.error.message)
    assert res.result == 200 and res.hops == 5


def test_deep_nesting_then_migrate_is_contained(vm):
    """A structure too deep to carry ends the SM with an error or travels intact;
    either way the process survives (checked in a child, a crash is reported)."""
    src = ("def main(n):\n    x = []\n    for i in range(n):\n        x = [x]\n"
           "    sys_migrate('1')\n    d = 0\n    while x:\n        x = x[0]\n        d += 1\n"
           "    return d\n")
    report = run_in_child(src, [100000], fuel=10**8, memory_mb=256)
    assert report["outcome"] in ("error", "result"), report
    if report["outcome"] == "result":
        assert report["result"] == "100000"
    assert report["after"] == {"outcome": "result", "result": repr(NORMAL_RESULT)}, report


# States that are small in memory but large once written out (shared immutable
# values): carrying them may succeed or fail with a guest error, but quickly.
STATE_BLOWUPS = [
    ("tuple_dag", "def main():\n    t = (1,)\n    for i in range(40):\n        t = (t, t)\n"
                  "    sys_migrate('1')\n    return 'moved'\n"),
    ("shared_big_string", "def main():\n    s = 'x' * 10 ** 6\n    many = [s] * 1000\n"
                          "    sys_migrate('1')\n    return len(many)\n"),
    ("shared_big_bytes", "def main():\n    s = b'x' * 10 ** 6\n    many = [(s,)] * 1000\n"
                         "    sys_migrate('1')\n    return len(many)\n"),
]


@pytest.mark.parametrize("name,source", STATE_BLOWUPS, ids=[c[0] for c in STATE_BLOWUPS])
def test_state_blowup_is_contained_quickly(vm, name, source):
    report = run_in_child(source, (), fuel=10**7, memory_mb=256)
    assert report["outcome"] in ("result", "error"), report
    if report["outcome"] == "error":
        assert report["type"] in ("MigrationError", "MemoryExhausted", "FuelExhausted"), report
        assert_within_fuel(report, 10**7)
    assert report["after"] == {"outcome": "result", "result": repr(NORMAL_RESULT)}, report
