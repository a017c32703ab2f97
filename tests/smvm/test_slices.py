"""The slice pipeline: one typed job, one function that runs it, one outcome,
whether the slice runs in the node's process, on the exec line or in a
worker process; the job crosses to a worker as named fields, framed by the
one pipe module."""
from __future__ import annotations

import gc
import io
import weakref

import msgpack
import pytest
import tagspace

from sim.line import LineWorld
from smvm import compile_brick
from smvm.slices import Continue, Decoded, Resume, SliceJob, Start, run_slice
from smvm.vm import Failed, Finished, Migrate, SMInstance
from smvm.workers import pipe
from smvm.workers.child import run_job
from smvm.workers.messages import decode_job, encode_job

SOURCE = "def main():\n    sys_migrate(read_tag('neighbors')[0])\n    return node_id()\n"
PRINCIPAL = tagspace.Principal("0/1", "0/1", "0", frozenset())


@pytest.fixture(scope="module")
def brick():
    return compile_brick(SOURCE, "hop.py")


def job(brick, step) -> SliceJob:
    return SliceJob("0/1", brick, PRINCIPAL, step, fuel_limit=100_000, fuel_used=0,
                    memory_mb=64, cpu_seconds=None, fuel_slice=None)


def forged_state(brick) -> bytes:
    """A continuation of the brick whose frames were taken out."""
    out = SMInstance(brick, LineWorld(2, 100_000, 64).nodes[0]).start("main", [])
    assert isinstance(out, Migrate)
    obj = msgpack.unpackb(out.state, strict_map_key=False, raw=False)
    obj["frames"] = []
    return msgpack.packb(obj, use_bin_type=True)


def test_a_state_that_does_not_fit_its_brick_fails_the_same_way_everywhere(brick) -> None:
    forged = job(brick, Resume(forged_state(brick)))
    here = run_slice(forged, LineWorld(2, 100_000, 64).nodes[1])
    assert isinstance(here, Failed) and here.error.type == "ContinuationError"
    assert "no frames" in here.error.message
    # a worker process runs the same pipeline: the same error comes back
    answer = run_job(["run", 1, "1", encode_job(forged), [0.0, ["0"]]], None, compile_brick, {})
    assert answer[:2] == ["done", 1]
    assert answer[2][0] == "failed" and answer[2][1]["type"] == "ContinuationError"
    assert answer[2][1]["message"] == here.error.message


def test_a_job_crosses_to_a_worker_as_named_fields_and_comes_back_whole(brick) -> None:
    error = ValueError("no such tag")
    original = job(brick, Resume(b"state", {"x": [1, 2]}, error))
    encoded = encode_job(original)
    assert {"sm_id", "source", "name", "principal", "step", "fuel_limit", "fuel_used",
            "memory_mb", "cpu_seconds", "fuel_slice"} == set(encoded)
    wire_form = msgpack.unpackb(pipe.pack(encoded)[pipe.HEADER.size:], raw=False)
    back = decode_job(wire_form, lambda source, name: compile_brick(source, name))
    assert (back.sm_id, back.principal, back.fuel_limit, back.memory_mb) == \
        (original.sm_id, original.principal, original.fuel_limit, original.memory_mb)
    assert back.brick.hash == brick.hash
    assert back.step.state == b"state" and back.step.value == {"x": [1, 2]}
    assert type(back.step.error) is ValueError and str(back.step.error) == "no such tag"
    start = decode_job(encode_job(job(brick, Start("main", [1, "a"]))), compile_brick)
    assert start.step.entry == "main" and isinstance(start.step.args, bytes)


def test_a_paused_sm_is_continued_where_it_is_not_sent_as_a_job(brick) -> None:
    with pytest.raises(ValueError, match="runs where the SM is"):
        encode_job(job(brick, Continue(object())))


def test_the_pipe_reader_assembles_frames_from_any_chunks_and_refuses_big_ones() -> None:
    stream = pipe.pack(["call", 1, "now", b"x"]) + pipe.pack(["done", 2, ["paused", 7]])
    reader = pipe.FrameReader(limit=1 << 10)
    got = []
    for i in range(len(stream)):  # one byte at a time
        reader.feed(stream[i:i + 1])
        complete, message = reader.next()
        if complete:
            got.append(message)
    assert got == [["call", 1, "now", b"x"], ["done", 2, ["paused", 7]]]
    assert reader.next() == (False, None)
    big = pipe.FrameReader(limit=16)
    big.feed(pipe.HEADER.pack(17))  # refused on its header, before any body arrives
    with pytest.raises(pipe.FrameTooLarge):
        big.next()


def test_the_blocking_reader_stops_at_the_end_and_at_the_limit() -> None:
    frame = pipe.pack({"a": 1})
    assert pipe.read(io.BytesIO(frame)) == {"a": 1}
    with pytest.raises(EOFError):
        pipe.read(io.BytesIO(frame[:-1]))  # cut short
    with pytest.raises(pipe.FrameTooLarge):
        pipe.read(io.BytesIO(frame), limit=len(frame) - pipe.HEADER.size - 1)


def test_a_paused_slice_leaves_no_running_sm_behind_for_host_code() -> None:
    """Host code outside any SM (a codec decoding a cache, a test) charges
    nobody: a slice that pauses hands the caller back its own running SM."""
    from smvm.vm.runtime import RUNNING
    from smvm.vm import Paused
    spinner = compile_brick("def main():\n    n = 0\n    while n < 10_000:\n        n += 1\n"
                            "    return n\n", "spin.py")
    sm = SMInstance(spinner, LineWorld(2, 100_000, 64).nodes[0], slice_fuel=50)
    assert isinstance(sm.start("main", []), Paused)
    assert RUNNING.rt is None
    assert isinstance(sm.proceed(), Paused)
    assert RUNNING.rt is None
    sm.abandon()
    assert RUNNING.rt is None


def test_sliced_sms_run_in_the_greenlets_of_whoever_runs_their_slices() -> None:
    """The idle runners are the caller's pool, not the process's: an SM that
    ends gives its greenlet back to the pool it came from, the next SM of
    that pool reuses it, and another pool never sees it."""
    from smvm.vm import Finished, Paused, RunnerPool
    spinner = compile_brick("def main():\n    n = 0\n    while n < 10_000:\n        n += 1\n"
                            "    return n\n", "spin.py")
    mine, other = RunnerPool(), RunnerPool()
    host = LineWorld(2, 100_000, 64).nodes[0]
    first = SMInstance(spinner, host, slice_fuel=50, runners=mine)
    outcome = first.start("main", [])
    assert isinstance(outcome, Paused) and len(mine) == 0
    while not isinstance(outcome, Finished):
        outcome = first.proceed()
    assert outcome.value == 10_000 and len(mine) == 1 and len(other) == 0
    second = SMInstance(spinner, host, slice_fuel=50, runners=mine)
    assert isinstance(second.start("main", []), Paused)
    assert len(mine) == 0  # the idle one taken again
    second.abandon()
    assert len(mine) == 1 and len(other) == 0
    # the same holds through the pipeline: a job run with a pool leaves its runner there
    done = run_slice(SliceJob("0/2", spinner, PRINCIPAL, Start("main", []), fuel_limit=100_000,
                              fuel_used=0, memory_mb=64, cpu_seconds=None, fuel_slice=50),
                     host, other)
    while not isinstance(done, Finished):
        done = run_slice(SliceJob("0/2", spinner, PRINCIPAL, Continue(done.handle),
                                  fuel_limit=100_000, fuel_used=0, memory_mb=64,
                                  cpu_seconds=None, fuel_slice=50), host, other)
    assert done.value == 10_000 and len(other) == 1 and len(mine) == 1


def test_shared_primitives_act_as_the_sm_whose_slice_runs() -> None:
    """The primitives and guarded builtins are one set for every SM and find
    the caller through the VM: two SMs whose slices interleave on one node
    each create, read and are refused tags as themselves, and a primitive
    or builtin held by host code refuses to act for nobody."""
    from smvm.errors import VMBug
    from smvm.vm import Finished, Paused
    source = ("def main(mine, other):\n"
              "    create_tag(mine, sum([1, 2]))\n"
              "    n = 0\n"
              "    while n < 2_000:\n"
              "        n += 1\n"
              "    try:\n"
              "        theirs = read_tag(other)\n"
              "    except TagAccessError:\n"
              "        theirs = 'refused'\n"
              "    return [read_tag(mine), theirs, node_id()]\n")
    brick = compile_brick(source, "owners.py")
    host = LineWorld(2, 100_000, 64).nodes[0]
    a = SMInstance(brick, host, sm_id="0/a", slice_fuel=40)
    b = SMInstance(brick, host, sm_id="0/b", slice_fuel=40)
    outcomes = {"a": a.start("main", ["tag_a", "tag_b"]), "b": b.start("main", ["tag_b", "tag_a"])}
    slices = 0
    while not all(isinstance(o, Finished) for o in outcomes.values()):
        for name, sm in (("a", a), ("b", b)):
            if isinstance(outcomes[name], Paused):
                outcomes[name] = sm.proceed()
                slices += 1
    assert slices > 10  # they did interleave
    assert outcomes["a"].value == [3, "refused", "0"]
    assert outcomes["b"].value == [3, "refused", "0"]
    for name in ("read_tag", "sum", "list"):
        shared = a.ns["__builtins__"][name]
        assert shared is b.ns["__builtins__"][name]
        with pytest.raises(VMBug):
            shared([1])
    assert a.ns["__builtins__"] is not b.ns["__builtins__"]  # each SM's own copy


WALKER = """
visits = []

def scaled(x, factor=3):
    return x * factor

def main():
    step = 2
    add = lambda y: scaled(y) + y + step
    total = 0
    for i in range(2):
        total += add(i)
        visits.append(node_id())
        sys_migrate(read_tag('neighbors')[0])
    return [total, visits]
"""


def test_an_sm_that_moved_on_leaves_nothing_for_the_garbage_collector() -> None:
    """Its activation (namespace, builtins, runtime, the capture's frames)
    is freed as the slice ends, not left in reference cycles; what travels in
    its continuation still runs on. (A class the SM defines is a cycle of
    Python's own, its type and its MRO: that much is left to the collector.)"""
    walker = compile_brick(WALKER, "walker.py")
    plain = compile_brick(SOURCE, "hop.py")   # names only a primitive in its state
    world = LineWorld(2, 100_000, 64)
    hosts = world.nodes
    gc.collect()
    gc.disable()
    try:
        out = run_slice(job(walker, Start("main", [])), hosts[0])
        assert isinstance(out, Migrate)
        out = run_slice(job(walker, Resume(out.state)), hosts[1])
        assert isinstance(out, Migrate)
        assert isinstance(run_slice(job(plain, Start("main", [])), hosts[0]), Migrate)
        left_behind = gc.collect()
    finally:
        gc.enable()
    assert left_behind == 0
    done = run_slice(job(walker, Resume(out.state)), hosts[0])
    assert done.value == [(0 * 3 + 0 + 2) + (1 * 3 + 1 + 2), ["0", "1"]]


def test_an_arriving_sm_decoded_once_is_freed_after_its_slice_too() -> None:
    walker = compile_brick(WALKER, "walker.py")
    hosts = LineWorld(2, 100_000, 64).nodes
    state = run_slice(job(walker, Start("main", [])), hosts[0]).state
    instance = SMInstance(walker, hosts[1])
    decoded = instance.decode(state)
    gone = weakref.ref(instance)
    gc.disable()
    try:
        outcome = run_slice(job(walker, Decoded(instance, decoded)), hosts[1])
        del instance, decoded
        assert gone() is None      # freed by its last reference, no collection needed
    finally:
        gc.enable()
    assert isinstance(outcome, Migrate)
    done = run_slice(job(walker, Resume(outcome.state)), hosts[0])
    assert isinstance(done, Finished) and done.value[1] == ["0", "1"]
