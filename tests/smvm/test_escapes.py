"""Sandbox escape attempts, each written as a brick.

Every attempt gets a canary: the path of a file it would create, the name of an
environment variable it would set and the name of this module, whose ``SECRET``
it would read and whose ``INTACT`` list it would change. A blocked attempt
either does not compile (``CompileError``) or ends as a guest error
(``res.error`` set); in both cases the canary must be untouched and
``run_line`` must not raise anything else (``SystemExit`` and friends end the
SM only).

Payloads are real: ``test_payload_is_real_python`` runs the escapes in plain
CPython with full builtins and checks that they do what they claim there, so
the VM tests can fail.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

import pytest

SECRET = "canary-secret-5b21f07c"
INTACT = ["intact"]
ENV = "SMVM_ESCAPE_CANARY"

# A payload shared by the escapes that reach a ``sys`` module: write the file,
# set the variable, tamper with this module and return its secret.
PAYLOAD = '''
def payload(sys, path, env, mod):
    sys.modules["os"].environ[env] = "pwned"
    sys.modules["builtins"].open(path, "w").write("pwned")
    sys.modules[mod].INTACT.append("pwned")
    return sys.modules[mod].SECRET
'''


@dataclass
class Case:
    name: str
    source: str
    expect: str = "blocked"     # blocked | compile | ok | safe
    value: object = None        # expected result for "ok"; allowed results for "safe"
    live: bool = False          # in plain CPython the payload fires the canary
    plain: bool = True          # run it in plain CPython at all


CASES = [
    # --- walking the class hierarchy ---------------------------------------
    Case("subclasses_walk", PAYLOAD + '''
def main(path, env, mod):
    for c in ().__class__.__base__.__subclasses__():  # route
        g = getattr(c.__init__, "__globals__", None)  # route
        if g and "sys" in g:
            return payload(g["sys"], path, env, mod)
''', live=True),
    Case("subclasses_mro", PAYLOAD + '''
def main(path, env, mod):
    for c in ().__class__.__mro__[-1].__subclasses__():  # route
        g = getattr(c.__init__, "__globals__", None)  # route
        if g and "sys" in g:
            return payload(g["sys"], path, env, mod)
''', live=True),
    Case("getattr_runtime_strings", PAYLOAD + '''
def main(path, env, mod):
    u = "_" + "_"
    base = getattr(getattr((), u + "cl" + "ass" + u), u + "base" + u)  # route
    for c in getattr(base, u + "subclasses" + u)():  # route
        g = getattr(getattr(c, u + "init" + u), u + "globals" + u, None)  # route
        if g and "sys" in g:
            return payload(g["sys"], path, env, mod)
''', live=True),
    Case("getattr_from_bytes", PAYLOAD + '''
def main(path, env, mod):
    name = bytes([95, 95, 99, 108, 97, 115, 115, 95, 95]).decode()
    return getattr(1, name).mro()  # route
'''),
    Case("type_dict", PAYLOAD + '''
def main(path, env, mod):
    for c in type.__dict__["__subclasses__"](object):  # route
        g = getattr(c.__init__, "__globals__", None)  # route
        if g and "sys" in g:
            return payload(g["sys"], path, env, mod)
''', live=True),
    Case("exception_mro_object", '''
def main(path, env, mod):
    top = ValueError.mro()[-1]
    return [c for c in top.__subclasses__()][:3]
'''),
    # --- namespaces ----------------------------------------------------------
    Case("vars_module_level", PAYLOAD + '''
G = vars()  # route
def main(path, env, mod):
    b = G["__builtins__"]
    op = b["open"] if isinstance(b, dict) else vars(b)["open"]
    op(path, "w").write("pwned")
''', live=True),
    Case("vars_of_value", '''
def main(path, env, mod):
    return vars(main)
'''),
    Case("globals_builtins", '''
def main(path, env, mod):
    b = globals()["__builtins__"]  # route
    op = b["open"] if isinstance(b, dict) else b.open
    op(path, "w").write("pwned")
''', live=True),
    Case("globals_listing", '''
def main(path, env, mod):
    return sorted(globals())
'''),
    Case("locals_module_level", '''
L = locals()  # route
def main(path, env, mod):
    b = L["__builtins__"]
    op = b["open"] if isinstance(b, dict) else b.open
    op(path, "w").write("pwned")
''', live=True),
    Case("locals_in_function", '''
def main(path, env, mod):
    return locals()
'''),
    Case("dir_names", '''
def main(path, env, mod):
    return dir(), dir(main)
'''),
    # --- str.format and friends ----------------------------------------------
    Case("format_class", '''
def main(path, env, mod):
    return "{0.__class__}".format(1)
'''),
    Case("format_subclasses", '''
def main(path, env, mod):
    return "{0.__class__.__base__.__subclasses__}".format(())
'''),
    Case("format_method_self", '''
def main(path, env, mod):
    return "{0.append.__self__}".format([])
'''),
    Case("format_function_globals", '''
def main(path, env, mod):
    return "{0.__globals__}".format(main)
'''),
    Case("format_primitive_self", '''
def main(path, env, mod):
    return "{0.__self__}".format(sys_migrate)
'''),
    Case("format_auto_number", '''
def main(path, env, mod):
    return "{.__class__}".format(1)
'''),
    Case("format_index_then_attr", '''
def main(path, env, mod):
    return "{0[0].__class__}".format([1])
'''),
    Case("format_keyword", '''
def main(path, env, mod):
    return "{x.__class__}".format(x=1)
'''),
    Case("format_map", '''
def main(path, env, mod):
    return "{a.__class__}".format_map({"a": 1})
'''),
    Case("format_unbound", '''
def main(path, env, mod):
    return str.format("{0.__class__}", 1)
'''),
    Case("format_held_method", '''
def main(path, env, mod):
    fmt = "{0.__class__}".format
    return fmt(1)
'''),
    Case("format_held_in_lambda_default", '''
def main(path, env, mod):
    show = lambda x, f="{0.__class__}".format: f(x)
    return show(1)
'''),
    Case("format_runtime_string", '''
def main(path, env, mod):
    u = "_" * 2
    return ("{0." + u + "class" + u + "}").format(1)
'''),
    Case("format_decoded_bytes", '''
def main(path, env, mod):
    return b"{0.\\x5f\\x5fclass\\x5f\\x5f}".decode().format(1)
'''),
    Case("format_fromhex", '''
def main(path, env, mod):
    return ("{0." + bytes([95, 95, 99, 108, 97, 115, 115, 95, 95]).decode() + "}").format(1)
'''),
    Case("format_nested_spec_attr", '''
def main(path, env, mod):
    return "{0:{1.__class__}}".format(1, 2)
'''),
    Case("format_reduce_ex", '''
def main(path, env, mod):
    return "{0.__reduce_ex__}".format([])
'''),
    Case("format_traceback", '''
def main(path, env, mod):
    try:
        1 / 0
    except ZeroDivisionError as e:
        return "{0.__traceback__.tb_frame.f_globals}".format(e)
'''),
    Case("format_swallowed_guard", '''
def main(path, env, mod):
    try:
        return "{0.__class__}".format(1)
    except Exception:
        return "caught"
''', expect="safe", value=["caught"]),
    Case("format_plain_attribute", '''
def main(path, env, mod):
    return "{0.real}|{0.imag}".format(5)
''', expect="safe", value=["5|0"]),
    Case("format_dunder_dict_key", '''
def main(path, env, mod):
    return "{0[__class__]}".format({"__class__": "just a key"})
''', expect="safe", value=["just a key"]),
    Case("fstring_attr", '''
def main(path, env, mod):
    x = 1
    return f"{x.__class__}"
'''),
    Case("fstring_spec_attr", '''
def main(path, env, mod):
    x = 1
    return f"{2:{x.__class__}}"
'''),
    Case("fstring_spec_is_format_string", '''
def main(path, env, mod):
    x = 1
    return f"{x:{'{0.__class__}'}}"
'''),
    # --- frames, code objects, tracebacks -------------------------------------
    Case("generator_frame", '''
def main(path, env, mod):
    g = (i for i in [1])
    b = g.gi_frame.f_builtins  # route
    b["open"](path, "w").write("pwned")
''', live=True),
    Case("generator_function", '''
def gen():
    yield 1

def main(path, env, mod):
    g = gen()
    b = g.gi_frame.f_builtins
    b["open"](path, "w").write("pwned")
''', expect="compile", live=True),
    Case("coroutine", '''
async def co():
    return 1

def main(path, env, mod):
    c = co()
    b = c.cr_frame.f_builtins
    c.close()
    b["open"](path, "w").write("pwned")
''', expect="compile", live=True),
    Case("traceback_frame", '''
def main(path, env, mod):
    try:
        1 / 0
    except ZeroDivisionError as e:
        b = e.__traceback__.tb_frame.f_builtins  # route
        b["open"](path, "w").write("pwned")
''', live=True),
    Case("function_globals", '''
def main(path, env, mod):
    b = main.__globals__["__builtins__"]  # route
    op = b["open"] if isinstance(b, dict) else b.open
    op(path, "w").write("pwned")
''', live=True),
    Case("function_builtins", '''
def main(path, env, mod):
    return main.__builtins__
'''),
    Case("function_code", '''
def main(path, env, mod):
    return main.__code__.co_consts
'''),
    Case("function_closure", '''
def main(path, env, mod):
    x = 1
    f = lambda: x
    return f.__closure__[0].cell_contents
'''),
    Case("lambda_defaults", '''
def main(path, env, mod):
    f = lambda a=1: a
    f.__defaults__ = (2,)
    return f()
'''),
    Case("lambda_default_is_dunder", '''
def main(path, env, mod):
    f = lambda c=().__class__: c
    return f()
'''),
    Case("lambda_default_is_globals", '''
def main(path, env, mod):
    f = lambda g=globals: g()["__builtins__"]
    return f()
'''),
    Case("builtin_self", '''
def main(path, env, mod):
    return len.__self__.open(path, "w").write("pwned")  # route
''', live=True),
    Case("primitive_self", '''
def main(path, env, mod):
    return sys_migrate.__self__
''', plain=False),
    Case("reduce_ex", '''
def main(path, env, mod):
    return [].__reduce_ex__(2)
'''),
    # --- exception objects ----------------------------------------------------
    Case("exception_traceback", '''
def main(path, env, mod):
    try:
        raise ValueError("x")
    except ValueError as e:
        return e.__traceback__
'''),
    Case("exception_context", '''
def main(path, env, mod):
    try:
        try:
            1 / 0
        except ZeroDivisionError:
            raise ValueError("x")
    except ValueError as e:
        return e.__context__.__traceback__
'''),
    Case("attribute_error_obj", '''
def main(path, env, mod):
    return AttributeError().obj
''', expect="safe", value=[None]),
    Case("attribute_error_obj_provoked", '''
def main(path, env, mod):
    try:
        (1).append(2)
    except AttributeError as e:
        return e.obj, e.name
''', expect="safe", value=[(1, "append")]),
    Case("migration_error_args", '''
def main(path, env, mod):
    try:
        sys_migrate(99)
    except MigrationError as e:
        return list(e.args)
''', expect="safe", plain=False),
    Case("primitive_partial_args", '''
def main(path, env, mod):
    return sys_migrate.args
''', expect="safe", plain=False),
    Case("closure_args", '''
def main(path, env, mod):
    x = [1]
    def inner():
        return x
    return inner.args
''', expect="safe", plain=False),
    Case("closure_func", '''
def main(path, env, mod):
    x = [1]
    def inner():
        return x
    return inner.func
''', plain=False),
    # --- shadowing names --------------------------------------------------------
    Case("positional_only", '''
def f(a, /, **kw):
    return a, kw

def main(path, env, mod):
    return f(1, a=2)
''', expect="safe", value=[(1, {"a": 2})]),
    Case("walrus_shadows_builtin", '''
def main(path, env, mod):
    [(len := x) for x in [7]]
    return len
''', expect="safe", value=[7]),
    Case("param_named_like_builtin", '''
def main(path, env, mod, sorted=None, open=None):
    return sorted, open
''', expect="safe", value=[(None, None)]),
    Case("assign_len", '''
def main(path, env, mod):
    len = lambda x: 42
    return len([1, 2])
''', expect="safe", value=[42]),
    Case("global_assign_len", '''
len = lambda x: 43

def main(path, env, mod):
    return len([1, 2])
''', expect="safe", value=[43]),
    Case("assign_sys_migrate", '''
def main(path, env, mod):
    sys_migrate = lambda n: "fake"
    return sys_migrate('1'), node_id()
''', expect="safe", value=[("fake", "0")]),
    Case("global_assign_sys_migrate", '''
def fake(n):
    return "fake " + str(n)

sys_migrate = fake

def main(path, env, mod):
    return sys_migrate(2), node_id()
''', expect="safe", value=[("fake 2", "0")]),
    Case("def_named_node_id", '''
def node_id():
    return 77

def main(path, env, mod):
    return node_id(), read_tag("node_id")
''', expect="safe", value=[(77, "0")]),
    Case("shadow_exception_name", '''
def main(path, env, mod):
    MigrationError = ValueError
    try:
        raise MigrationError("v")
    except ValueError as e:
        return str(e)
''', expect="safe", value=["v"]),
    Case("kwargs_with_underscore_keys", '''
def f(x, **kw):
    return sorted(kw)

def main(path, env, mod):
    return f(1, **{"_resume": 1, "__class__": 2, "_frame": 3})
''', expect="safe", value=[["__class__", "_frame", "_resume"]]),
    Case("unexpected_underscore_kwarg", '''
def f(x):
    return x

def main(path, env, mod):
    for name in ["_resume", "_frame", "_state", "_k", "_cont", "_sm", "_rt", "_fuel", "_saved"]:
        try:
            f(1, **{name: [1, 2]})
            return "accepted " + name
        except TypeError:
            pass
    return "all refused"
''', expect="safe", value=["all refused"]),
    Case("forged_resume_frame", '''
def f(x):
    sys_migrate(str(1 - int(node_id())))
    return x

def main(path, env, mod):
    return f(1, **{"_fr": {"fid": "main", "point": 1, "locals": {}}})
''', plain=False),
    Case("forged_resume_frame_none", '''
def f(x):
    sys_migrate(str(1 - int(node_id())))
    return x

def main(path, env, mod):
    return f(1, **{"_fr": None}), node_id()
''', expect="safe", value=[(1, "1")], plain=False),
    Case("assign_module_attribute", '''
import math

def main(path, env, mod):
    math.pi = 3
    return math.pi
''', plain=False),
    Case("assign_method_attribute", '''
def main(path, env, mod):
    x = []
    x.append = 1
    return x
'''),
    # --- imports and forbidden builtins ----------------------------------------
    Case("import_os", PAYLOAD + '''
import os  # route

def main(path, env, mod):
    os.environ[env] = "pwned"
''', live=True),
    Case("import_sys", PAYLOAD + '''
import sys  # route

def main(path, env, mod):
    return payload(sys, path, env, mod)
''', live=True),
    Case("import_gc", '''
import gc

def main(path, env, mod):
    return len(gc.get_objects())
'''),
    Case("import_operator", '''
import operator

def main(path, env, mod):
    return operator.attrgetter("__class__")(1)
'''),
    Case("from_os_import", '''
from os import environ

def main(path, env, mod):
    environ[env] = "pwned"
''', live=True),
    Case("import_inside_function", PAYLOAD + '''
def main(path, env, mod):
    import sys  # route
    return payload(sys, path, env, mod)
''', live=True),
    Case("import_math_os", '''
import math.os

def main(path, env, mod):
    return 1
''', plain=False),
    Case("from_math_star", '''
from math import *

def main(path, env, mod):
    return floor(2.5)
'''),
    Case("math_module_loader", '''
import math

def main(path, env, mod):
    return math.__loader__
'''),
    Case("dunder_import", PAYLOAD + '''
def main(path, env, mod):
    return payload(__import__("sys"), path, env, mod)  # route
''', live=True),
    Case("dunder_builtins_name", '''
def main(path, env, mod):
    b = __builtins__  # route
    op = b["open"] if isinstance(b, dict) else b.open
    op(path, "w").write("pwned")
''', live=True),
    Case("eval", '''
def main(path, env, mod):
    return eval("open")(path, "w").write("pwned")  # route
''', live=True),
    Case("exec", '''
def main(path, env, mod):
    exec("import os; os.environ[e] = 'pwned'", {"e": env})
''', live=True),
    Case("open", '''
def main(path, env, mod):
    open(path, "w").write("pwned")  # route
''', live=True),
    Case("compile", '''
def main(path, env, mod):
    return compile("1", "x", "eval")
'''),
    Case("breakpoint", '''
def main(path, env, mod):
    breakpoint()
    return "returned"
''', plain=False),
    Case("input", '''
def main(path, env, mod):
    return input()
''', plain=False),
    Case("getattr_builtin", '''
def main(path, env, mod):
    return getattr(1, "real")
''', expect="safe", value=(1,)),
    Case("setattr_builtin", '''
def main(path, env, mod):
    setattr(main, "x", 1)
'''),
    Case("type_builtin", '''
def main(path, env, mod):
    return type(1)
'''),
    Case("object_builtin", '''
def main(path, env, mod):
    return object()
'''),
    Case("memoryview_builtin", '''
def main(path, env, mod):
    return memoryview(b"x")
'''),
    Case("print_builtin", '''
def main(path, env, mod):
    print("hello from the guest")
''', expect="safe"),
    Case("exit_builtin", '''
def main(path, env, mod):
    exit(3)
''', plain=False),
    # --- classes ----------------------------------------------------------------
    Case("hostile_class_eq", '''
class X:
    def __eq__(self, other):
        return True
    def __hash__(self):
        return 0

def main(path, env, mod):
    return [X()] == [1]
''', expect="safe", value=(True,)),
    Case("plain_class", '''
class X:
    pass

def main(path, env, mod):
    return 1
''', expect="safe", value=(1,)),
    Case("class_inside_function", '''
def main(path, env, mod):
    class Y:
        def __index__(self):
            return 1
    return [1, 2][Y()]
''', expect="compile"),
    Case("type_three_args", '''
def main(path, env, mod):
    return type("X", (), {})()
'''),
    # --- exceptions that must end only the SM -----------------------------------
    Case("raise_system_exit", '''
def main(path, env, mod):
    raise SystemExit(0)
'''),
    Case("raise_keyboard_interrupt", '''
def main(path, env, mod):
    raise KeyboardInterrupt
'''),
    Case("raise_generator_exit", '''
def main(path, env, mod):
    raise GeneratorExit()
'''),
    Case("raise_base_exception", '''
def main(path, env, mod):
    raise BaseException("x")
'''),
    Case("raise_base_via_mro", '''
def main(path, env, mod):
    raise Exception.mro()[1]("via mro")
'''),
    Case("except_base_exception", '''
def main(path, env, mod):
    try:
        return 1
    except BaseException:
        return 2
'''),
    Case("except_star", '''
def main(path, env, mod):
    try:
        raise ValueError("x")
    except* ValueError:
        return 1
''', expect="compile"),
    Case("with_statement", '''
def main(path, env, mod):
    with open(path, "w") as f:  # route
        f.write("pwned")
''', expect="compile", live=True),
    # --- hostile arguments to the primitives ------------------------------------
    Case("primitive_bad_arguments", '''
def main(path, env, mod):
    out = []
    for bad in ["x", None, 10 ** 100, -(10 ** 100), 1.5, [1], {"a": 1}]:
        try:
            sys_migrate(bad)
            out.append("moved")
        except Exception as e:
            out.append(isinstance(e, Exception))
    for bad in [["neighbors"], 5, None, "nonexistent"]:
        try:
            read_tag(bad)
            out.append("read")
        except Exception as e:
            out.append(isinstance(e, Exception))
    log(main, lambda: 0, [1, 2], b"x")
    return out, node_id()
''', expect="safe", plain=False),
]

# Allowed bricks: must run and give this exact result (positive controls).
OK_CASES = [
    Case("ok_format_width", 'def main(path, env, mod):\n    return "{:>5}".format(3)\n',
         "ok", "    3"),
    Case("ok_format_nested_spec", '''
def main(path, env, mod):
    return "{0:{1}}|{2:{fill}^{w}}".format(3, ">4", "ab", fill="*", w=6)
''', "ok", "   3|**ab**"),
    Case("ok_percent", '''
def main(path, env, mod):
    return "%s-%r-%05.1f" % (1, "a", 2.25)
''', "ok", "1-'a'-002.2"),
    Case("ok_percent_mapping", '''
def main(path, env, mod):
    return "%(a)s+%(b)d" % {"a": "x", "b": 2}
''', "ok", "x+2"),
    Case("ok_fstring_repr_spec", '''
def main(path, env, mod):
    x = "hi"
    w = 6
    return f"{x!r:>{w}}|{3.14159:.2f}|{255:#06x}"
''', "ok", "  'hi'|3.14|0x00ff"),
    Case("ok_exception_args", '''
def main(path, env, mod):
    try:
        raise ValueError("a", 2)
    except ValueError as e:
        return e.args, str(e)
''', "ok", (("a", 2), "('a', 2)")),
    Case("ok_next_iter", '''
def main(path, env, mod):
    it = iter([7, 8, 9])
    return next(it), next(it), next(iter(()), "empty")
''', "ok", (7, 8, "empty")),
    Case("ok_bytes_decode", '''
def main(path, env, mod):
    return b"\\x5f\\x5fclass\\x5f\\x5f".decode(), bytes([65]).decode()
''', "ok", ("__class__", "A")),
    Case("ok_type_level_methods", '''
def main(path, env, mod):
    return (bytes.fromhex("4142"), dict.fromkeys("ab", 0), int.from_bytes(b"\\x01\\x00", "big"),
            bytearray.fromhex("43"), float.fromhex("0x1p-1"), str.maketrans("a", "b"))
''', "ok", (b"AB", {"a": 0, "b": 0}, 256, bytearray(b"C"), 0.5, {97: 98})),
    Case("ok_lambda_defaults", '''
def main(path, env, mod):
    fs = [lambda k=k: k * 2 for k in range(3)]
    return [f() for f in fs]
''', "ok", [0, 2, 4]),
    Case("ok_math", '''
import math
from math import sqrt as root

def main(path, env, mod):
    return math.floor(2.7), root(9.0)
''', "ok", (2, 3.0)),
    Case("ok_primitives", '''
def main(path, env, mod):
    start = node_id()
    sys_migrate(read_tag("neighbors")[0])
    return start, node_id(), read_tag("node_id")
''', "ok", ("0", "1", "1"), plain=False),
]

ALL = CASES + OK_CASES


class Canary:
    """Everything an escape would touch, checked after each attempt."""

    def __init__(self, path):
        self.path = path

    def args(self) -> list:
        return [str(self.path), ENV, __name__]

    def problems(self, res=None) -> list[str]:
        found = []  # each problem is reported once: what is found is also undone
        if self.path.exists():
            found.append(f"file {self.path} was created")
            self.path.unlink()
        if ENV in os.environ:
            found.append(f"environment variable {ENV} was set")
            del os.environ[ENV]
        if math.pi != 3.141592653589793:
            found.append("the host's math module was changed")
            math.pi = 3.141592653589793
        if INTACT != ["intact"]:
            found.append(f"module global changed: {INTACT}")
            INTACT[:] = ["intact"]
        if res is not None:
            shown = repr(getattr(res, "result", None))
            if res.error is not None:
                shown += repr(res.error.message)
            if SECRET in shown:
                found.append("the secret leaked into the result")
        return found


@pytest.fixture
def canary(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("PYTHONBREAKPOINT", "0")
    c = Canary(tmp_path / "pwned")
    yield c
    assert c.problems() == []


@pytest.fixture(scope="module")
def vm():
    try:
        from smvm import CompileError
        from sim.line import run_line
    except Exception as exc:
        pytest.fail(f"sim.line.run_line is not importable: {type(exc).__name__}: {exc}")
    return run_line, CompileError


PLAIN_TYPES = (type(None), bool, int, float, str, bytes, bytearray, list, tuple, dict,
               set, frozenset, range)


def plain_data(value, depth=0) -> bool:
    """True if ``value`` is made only of the SM's plain data types."""
    if depth > 50 or not isinstance(value, PLAIN_TYPES):
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(plain_data(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(plain_data(k, depth + 1) and plain_data(v, depth + 1)
                   for k, v in value.items())
    return True


def attempt(vm, case: Case, canary: Canary):
    """Run one brick in the VM; return ``(compile_error, result)``."""
    run_line, CompileError = vm
    try:
        res = run_line(case.source, canary.args(), fuel=2_000_000, memory_mb=256,
                       filename=f"{case.name}.py")
    except CompileError as exc:
        assert exc.errors, "a CompileError lists its problems"
        assert canary.problems() == []
        return exc, None
    except BaseException as exc:  # noqa: BLE001 - SystemExit & co. must not get out
        pytest.fail(f"run_line let {type(exc).__name__} out: {exc!r}")
    assert canary.problems(res) == []
    return None, res


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_escape_is_contained(vm, case, canary):
    err, res = attempt(vm, case, canary)
    route = {n for n, text in enumerate(case.source.splitlines(), 1) if "# route" in text}
    if err is not None and route:
        # the escape route itself is refused, not just the payload after it
        assert {e.line for e in err.errors} & route, (
            f"only the payload was refused, not the route on lines {sorted(route)}: {err}")
    if case.expect == "compile":
        assert err is not None, f"expected CompileError, got {res!r}"
    elif case.expect == "blocked":
        assert err is not None or res.error is not None, (
            f"not blocked: returned {res.result!r}")
    elif case.expect == "safe":
        if err is None and res.error is None:
            assert plain_data(res.result), f"non-plain value escaped: {res.result!r}"
            if case.value is not None:
                assert res.result in case.value, f"unexpected result {res.result!r}"
    else:  # pragma: no cover - table typo
        raise AssertionError(case.expect)
    if res is not None and res.error is not None:
        assert isinstance(res.error.type, str) and res.error.type
        assert isinstance(res.error.message, str)


@pytest.mark.parametrize("case", OK_CASES, ids=[c.name for c in OK_CASES])
def test_allowed_brick_runs(vm, case, canary):
    err, res = attempt(vm, case, canary)
    assert err is None, f"rejected: {err}"
    assert res.error is None, f"{res.error.type}: {res.error.message}"
    assert res.result == case.value and type(res.result) is type(case.value)


def test_vm_still_works_after_shadowing(vm, canary):
    """Shadowing builtins or primitives in one brick leaks into no other run."""
    for case in CASES:
        if case.name in ("global_assign_len", "global_assign_sys_migrate", "assign_len"):
            attempt(vm, case, canary)
    err, res = attempt(vm, OK_CASES[-1], canary)
    assert err is None and res.error is None and res.result == ("0", "1", "1")
    err, res = attempt(vm, Case("len_again", 'def main(p, e, m):\n    return len([1, 2])\n'),
                       canary)
    assert err is None and res.result == 2


def run_plain(case: Case, canary: Canary):
    """Run a brick in plain CPython with every builtin (what the VM must prevent)."""
    ns = {"__name__": "plain_brick"}
    ns["sys_migrate"] = lambda n: None
    ns["node_id"] = lambda: 0
    ns["read_tag"] = lambda name: 0
    ns["MigrationError"] = type("MigrationError", (Exception,), {})
    exec(compile(case.source, case.name, "exec"), ns)
    return ns["main"](*canary.args())


@pytest.mark.parametrize("case", [c for c in ALL if c.plain], ids=[c.name for c in ALL if c.plain])
def test_payload_is_real_python(case, canary):
    """The brick is meaningful Python: it runs (or raises on purpose) in CPython,
    and a live payload really fires the canary there."""
    try:
        result = run_plain(case, canary)
    except BaseException as exc:  # noqa: BLE001 - the raise_ bricks raise these
        assert case.name.startswith("raise_") or case.expect != "ok", repr(exc)
        result = exc
    if case.expect == "ok":
        assert result == case.value
    fired = canary.problems(type("R", (), {"result": result, "error": None})())
    if case.live:
        assert fired, "the payload did nothing in plain CPython"
