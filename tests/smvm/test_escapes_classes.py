"""Escape attempts through classes: hostile dunders, class-level tricks and
forged states naming classes. Each is contained: it does not compile, or it
ends the SM with a guest error, and the canary stays untouched."""
from __future__ import annotations

import msgpack
import pytest

from smvm import statecodec
from smvm.errors import StateDecodeError
from smvm.guestclasses import ClassRegistry

from .test_escapes import Case, attempt, canary, vm  # noqa: F401 - fixtures

CASES = [
    Case("hostile_hash_key_migrates", '''
class K:
    def __hash__(self):
        while True:
            pass
    def __eq__(self, other):
        return True

def main(path, env, mod):
    table = {K(): 1}
    sys_migrate(1)
    return len(table)
'''),
    Case("set_attribute_of_sm_exception_class", '''
def main(path, env, mod):
    MigrationError.args = 5
'''),
    Case("set_attribute_of_module", '''
import math

def main(path, env, mod):
    math.pi = 3
'''),
    Case("set_attribute_of_builtin", '''
def main(path, env, mod):
    len.x = 1
'''),
    Case("setattr_dunder_on_class", '''
class X:
    pass

def main(path, env, mod):
    setattr(X, "__getattr__", lambda self, n: 1)
'''),
    Case("getattr_class_of_instance", '''
class X:
    pass

def main(path, env, mod):
    return getattr(X(), "__class__")
'''),
    Case("getattr_private_of_host_object", '''
def main(path, env, mod):
    return getattr(list, "_real")
'''),
    Case("private_attribute_of_host_object", '''
def main(path, env, mod):
    return list._rt
'''),
    Case("subclass_host_type", '''
class X(list):
    pass

def main(path, env, mod):
    return X()
'''),
    Case("metaclass_keyword", '''
class X(metaclass=1):
    pass

def main(path, env, mod):
    return 1
''', expect="compile"),
    Case("dunder_store", '''
class X:
    pass

def main(path, env, mod):
    X.__getattr__ = 1  # route
''', expect="compile"),
    Case("super_class", '''
class X:
    def f(self):
        return super().__class__  # route

def main(path, env, mod):
    return X().f()
'''),  # __class__ of a host object: AttributeError
    Case("mro_of_class", '''
class X:
    pass

def main(path, env, mod):
    return X.mro()  # route
''', expect="compile"),
    Case("hostile_eq_in_contains", '''
class X:
    def __eq__(self, other):
        while True:
            pass

def main(path, env, mod):
    return 1 in [X()] * 10
'''),
    Case("hostile_len_consumed_by_builtin", '''
class X:
    def __len__(self):
        return 10 ** 18
    def __iter__(self):
        return iter([])

def main(path, env, mod):
    return list(X())
'''),
    Case("hostile_str_uncaught_exception", '''
class Boom(Exception):
    def __str__(self):
        while True:
            pass

def main(path, env, mod):
    raise Boom("x")
'''),
    Case("hostile_repr_in_key_error", '''
class X:
    def __repr__(self):
        while True:
            pass

def main(path, env, mod):
    return {}[X()]
'''),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_class_escape_is_contained(vm, case, canary):  # noqa: F811
    err, res = attempt(vm, case, canary)
    route = {n for n, text in enumerate(case.source.splitlines(), 1) if "# route" in text}
    if case.expect == "compile":
        assert err is not None, f"expected CompileError, got {res!r}"
        assert not route or {e.line for e in err.errors} & route
    else:
        assert err is not None or res.error is not None, f"not blocked: {res.result!r}"


def test_hostile_str_exception_is_reported_without_running_it(vm, canary):  # noqa: F811
    case = next(c for c in CASES if c.name == "hostile_str_uncaught_exception")
    _, res = attempt(vm, case, canary)
    assert (res.error.type, res.error.message) == ("Boom", "x")


def test_hostile_repr_result_is_shown_without_running_it():
    from sim.line import run_line
    from smvm.values import jsonable
    source = """
class X:
    def __repr__(self):
        while True:
            pass

def main():
    return [X()]
"""
    res = run_line(source, [], fuel=100_000, filename="repr_result.py")
    assert res.error is None and jsonable(res.result) == ["<X object>"]


def _forged(*items) -> bytes:
    return msgpack.packb(list(items))


def _table_with(cls):
    registry = ClassRegistry()
    registry.register(cls)
    type.__setattr__(cls, "_smvm_guest", True)
    return {"class:" + cls.__qualname__: cls}


def test_forged_state_with_guest_hash_key_is_refused_before_hashing():
    calls = []

    class Hostile:
        def __hash__(self):
            calls.append(1)
            return 0

    table = _table_with(Hostile)
    instance = [msgpack.ExtType(statecodec.INSTANCE, b""), "class:Hostile", {}, None]
    data = _forged(msgpack.ExtType(statecodec.DICT, b""), instance, 1)
    with pytest.raises(StateDecodeError):
        statecodec.loads(data, functions=table)
    data = _forged(msgpack.ExtType(statecodec.SET, b""), instance)
    with pytest.raises(StateDecodeError):
        statecodec.loads(data, functions=table)
    assert calls == []


@pytest.mark.parametrize("attrs", [{"__class__": 1}, {"gi_frame": 1}, {1: 2}, "x"])
def test_forged_instance_attributes_are_validated(attrs):
    class Plain:
        pass

    table = _table_with(Plain)
    data = _forged(msgpack.ExtType(statecodec.INSTANCE, b""), "class:Plain", attrs, None)
    with pytest.raises(StateDecodeError):
        statecodec.loads(data, functions=table)


def test_forged_instance_of_a_host_class_is_refused():
    data = _forged(msgpack.ExtType(statecodec.INSTANCE, b""), "class:dict", {}, None)
    with pytest.raises(StateDecodeError):
        statecodec.loads(data, functions={"class:dict": dict})


def test_instances_round_trip_with_cycles_and_methods():
    class Node:
        def hop(self):
            return self

    table = _table_with(Node)
    a, b = Node(), Node()
    a.other, b.other = b, a
    a.items = [a, b]
    refs = {id(Node): "class:" + Node.__qualname__, id(Node.hop): "fn:Node.hop"}
    table["fn:Node.hop"] = Node.hop
    out = statecodec.loads(statecodec.dumps([a, a.hop], functions=refs), functions=table)
    x, method = out
    assert type(x) is Node and x.other.other is x and x.items[0] is x
    assert method() is x
