"""Continuations from the network: validated before anything runs, and no
mutation of one can crash the VM."""
from __future__ import annotations

import random

import msgpack
import pytest

from smvm import ContinuationError, RemoteInputError, compile_brick
from sim.line import LineWorld
from smvm.vm import Failed, Finished, Migrate, SMInstance

SOURCE = '''
def walk(steps, acc):
    for i in range(steps):
        nb = read_tag("neighbors")
        sys_migrate(nb[-1] if node_id() == "0" else nb[0])
        acc.append((i, node_id()))
    return acc

def main(steps):
    data = {"start": node_id(), "seen": []}
    try:
        walk(steps, data["seen"])
    finally:
        data["done"] = True
    return data
'''


def Host(node_id: int):
    return LineWorld(3, 10_000, 64).nodes[node_id]


@pytest.fixture(scope="module")
def brick():
    return compile_brick(SOURCE, "walk.py")


@pytest.fixture(scope="module")
def state(brick) -> bytes:
    out = SMInstance(brick, Host(0)).start("main", [3])
    assert isinstance(out, Migrate) and out.target == "1"
    return out.state


def resume(brick, state: bytes, fuel: int = 10_000):
    return SMInstance(brick, Host(1), fuel_limit=fuel, memory_mb=64).resume(state)


def test_valid_state_resumes(brick, state) -> None:
    out = resume(brick, state)
    assert isinstance(out, Migrate) and out.target == "0"


def _edit(state: bytes, change) -> bytes:
    """Decode the outer msgpack layer, change it, encode it again."""
    obj = msgpack.unpackb(state, strict_map_key=False, raw=False)
    change(obj)
    return msgpack.packb(obj, use_bin_type=True)


def _frames(obj):
    return obj["frames"]


@pytest.mark.parametrize("change, message", [
    (lambda o: o.__setitem__("v", 99), "unsupported format version"),
    (lambda o: o.__setitem__("brick", "0" * 64), "another brick"),
    (lambda o: o.__setitem__("frames", []), "no frames"),
    (lambda o: _frames(o)[0].__setitem__(0, "nosuch:1"), "no resumable function"),
    (lambda o: _frames(o)[0].__setitem__(1, 999), "has no resume point 999"),
    (lambda o: _frames(o)[0].__setitem__(1, 0), "has no resume point 0"),
    (lambda o: _frames(o)[0][2].__setitem__("injected", 1), "has no locals ['injected']"),
    (lambda o: _frames(o).__setitem__(slice(None), [[f[0], f[1], {}] for f in reversed(_frames(o))]),
     "not the entry function"),
    (lambda o: o["request"].__setitem__("kind", "exec"), "unknown request"),
    (lambda o: o.__setitem__("fuel", -5), "bad fuel count"),
    (lambda o: o["globals"].__setitem__("_R", 1), "bad module data names"),
])
def test_inconsistent_continuations_are_rejected_before_running(brick, state, change, message) -> None:
    forged = _edit(state, change)
    with pytest.raises(ContinuationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        resume(brick, forged)


def test_mistyped_hidden_locals_end_as_guest_errors(brick, state) -> None:
    """A forged value for a compiler temporary runs only brick code: it fails
    inside the SM, it cannot reach the host."""
    def change(obj):
        for frame in _frames(obj):
            for name in list(frame[2]):
                if name.startswith("_s") or name.startswith("_i"):
                    frame[2][name] = "not an index"
    out = resume(brick, _edit(state, change))
    assert isinstance(out, (Failed, Migrate, Finished))
    if isinstance(out, Failed):
        assert out.error.type in ("TypeError", "ValueError", "IndexError", "AttributeError")


def test_random_mutations_never_crash_the_vm(brick, state) -> None:
    rng = random.Random(20261122)
    outcomes = {"rejected": 0, "ran": 0}
    for _ in range(3000):
        data = bytearray(state)
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            pos = rng.randrange(len(data))
            if op < 0.5:
                data[pos] = rng.randrange(256)
            elif op < 0.7:
                del data[pos]
            elif op < 0.9:
                data.insert(pos, rng.randrange(256))
            else:
                del data[pos:]
                if not data:
                    data.append(0)
        try:
            out = resume(brick, bytes(data), fuel=2_000)
        except RemoteInputError:
            outcomes["rejected"] += 1
            continue
        assert isinstance(out, (Failed, Finished, Migrate))
        if isinstance(out, Failed):
            assert out.error.type != "VMBug", out.error
        outcomes["ran"] += 1
    assert outcomes["rejected"] > 0


def test_random_bytes_are_rejected(brick) -> None:
    rng = random.Random(7)
    for _ in range(2000):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        with pytest.raises(RemoteInputError):
            resume(brick, blob)


def test_a_reference_cannot_hand_the_sm_its_namespace(brick, state) -> None:
    """The VM's table names code objects with their namespace (for closures):
    a plain function reference to such an entry is refused, so SM data never
    holds the namespace (and through it the runtime and builtins)."""
    from smvm.statecodec import FUNCTION
    for fid in brick.functions:
        def change(obj, ref=("code:" + fid).encode()):
            obj["globals"]["stolen"] = msgpack.ExtType(FUNCTION, ref)
        with pytest.raises(RemoteInputError):
            resume(brick, _edit(state, change))


HOLDERS = '''
def helper(x):
    return x * 2

def other(x):
    return x + 1

kept = None

def main():
    global kept
    direct = helper
    kept = other
    nested = [other]
    sys_migrate(read_tag("neighbors")[-1])
    return [direct(1), kept(1), nested[0](1), direct is helper, kept is other,
            nested[0] is other]
'''


def _decodes_of(monkeypatch) -> list:
    """Counts the state codec's decodes run by the VM from here on."""
    from smvm.vm import migration
    calls: list = []
    real = migration.statecodec.loads

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(migration.statecodec, "loads", counted)
    return calls


def test_an_arriving_state_naming_module_functions_is_decoded_once(monkeypatch) -> None:
    """The module functions a state names where frames' locals or module
    variables hold them are stand-ins until the module has run, then the
    functions themselves: the state is not decoded a second time."""
    brick = compile_brick(HOLDERS.replace("    nested = [other]\n", "    nested = [0]\n")
                          .replace("nested[0](1)", "nested[0]").replace("nested[0] is other",
                                                                          "True"), "holders.py")
    out = SMInstance(brick, Host(0)).start("main", [])
    assert isinstance(out, Migrate)
    decodes = _decodes_of(monkeypatch)
    sm = SMInstance(brick, Host(1))
    cont = sm.decode(out.state)  # on arrival: nothing of the brick runs
    assert "_loaded" not in sm.ns
    done = sm.resume_decoded(cont)
    assert isinstance(done, Finished) and done.value == [2, 2, 0, True, True, True]
    assert len(decodes) == 1


def test_a_module_function_deeper_in_the_state_is_found_by_a_second_decode(monkeypatch) -> None:
    brick = compile_brick(HOLDERS, "holders.py")
    out = SMInstance(brick, Host(0)).start("main", [])
    assert isinstance(out, Migrate)
    decodes = _decodes_of(monkeypatch)
    sm = SMInstance(brick, Host(1))
    done = sm.resume_decoded(sm.decode(out.state))
    assert isinstance(done, Finished) and done.value == [2, 2, 2, True, True, True]
    assert len(decodes) == 2  # the list's function needs the module: decoded again


GLOBALS = '''
limit = 3
seen = []

def helper(x):
    return x + limit

def main():
    global limit
    limit = 5
    seen.append(helper(1))
    sys_migrate(read_tag("neighbors")[0])
    return [limit, seen]
'''


def test_module_items_are_the_names_past_the_hidden_ones_in_order() -> None:
    sm = SMInstance(compile_brick(GLOBALS, "globals.py"), Host(0))
    sm._ensure_loaded()
    names = [name for name, _ in sm.module_items()]
    assert names[:3] == ["limit", "seen", "helper"] and "main" in names
    assert not [n for n in names if n.startswith("_") and n != "_loaded"]
    # every name the SM's code put there, none skipped
    assert set(names) == {n for n in sm.ns if not n.startswith("_")} | {"_loaded"}


def test_global_data_travels_whether_or_not_the_hidden_names_sit_first() -> None:
    states = []
    for drop_a_hidden_name in (False, True):
        sm = SMInstance(compile_brick(GLOBALS, "globals.py"), Host(0))
        if drop_a_hidden_name:  # module_items then walks the whole namespace
            del sm.ns["__name__"]
        out = sm.start("main", [])
        assert isinstance(out, Migrate)
        states.append(msgpack.unpackb(out.state, strict_map_key=False,
                                      ext_hook=lambda code, data: (code, data))["globals"])
    assert states[0] == states[1] == {"limit": 5, "seen": [6]}


def test_the_references_of_an_sms_own_objects_are_listed_when_first_needed() -> None:
    source = GLOBALS + "\nclass Box:\n    pass\n"
    sm = SMInstance(compile_brick(source, "globals.py"), Host(0))
    sm._ensure_loaded()
    refs = sm.function_refs()
    assert refs.get(id(sys_migrate_of(sm))) == "prim:sys_migrate"   # shared: no listing
    assert refs.get(id(sm.ns["helper"])) == "fn:" + sm.brick.fid_of_code[id(sm.ns["helper"].__code__)]
    assert refs.get(id(sm.ns["Box"])) == "class:Box"
    assert refs.get(id(sm.ns["main"].__code__)) == "code:" + sm.brick.fid_of_code[id(sm.ns["main"].__code__)]
    assert refs.get(id(object())) is None
    assert sm.function_refs() is refs    # one table per activation once its module ran


def sys_migrate_of(sm: SMInstance):
    return sm.ns["__builtins__"]["sys_migrate"]
