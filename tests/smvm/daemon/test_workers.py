"""Sandbox layer 3: SM slices run in worker processes; a runaway SM is ended
in its worker while another SM on the same daemon completes."""
from __future__ import annotations

import pytest
import trio

from smvm.client import inject
from smvm.daemon import DaemonConfig, NodeDaemon
from smvm.node import NodeConfig
from tests.patience import PATIENCE

SPIN = "def main():\n    x = 0\n    while True:\n        x += 1\n"
HOG = "def main():\n    keep = []\n    while True:\n        keep.append(bytearray(1_000_000))\n"
QUICK = "def main(n):\n    return sum(range(n)), node_id()\n"


async def serve(nursery, **config) -> tuple[NodeDaemon, tuple]:
    daemon = NodeDaemon(DaemonConfig("solo", "127.0.0.1", 0, seed=1, advertise=False, **config))
    address = await nursery.start(daemon.serve)
    return daemon, address


async def test_a_spinning_sm_is_killed_in_its_worker_while_another_completes() -> None:
    # one endless slice (unsliced): only the wall-clock allowance can stop it
    node = NodeConfig(beacon_interval=None, fuel_per_sm=10**12, cpu_seconds=None, fuel_slice=None)
    async with trio.open_nursery() as nursery:
        daemon, address = await serve(nursery, node=node, workers=2, slice_seconds=3.0)
        # both workers started first (two SMs at once), so the quick SM below
        # does not wait for a process to start while the spinner's clock runs
        async def warm_up(n: int) -> None:
            assert (await inject(address, QUICK, [n], wait=True, timeout=PATIENCE)).ok
        async with trio.open_nursery() as warm:
            for n in (300_000, 300_001):
                warm.start_soon(warm_up, n)
        assert len(daemon.pool.workers) == 2
        spinner = {}

        async def run_spinner():
            spinner["outcome"] = await inject(address, SPIN, [], wait=True, timeout=PATIENCE)
        nursery.start_soon(run_spinner)
        await daemon.wait_until(lambda: daemon.core.counters["frames_in.Inject"] >= 3)
        quick = await inject(address, QUICK, [1000], wait=True, timeout=PATIENCE)
        assert quick.ok and quick.value == (sum(range(1000)), "solo")
        assert "outcome" not in spinner, "the quick SM finished while the spinner still ran"
        with trio.fail_after(PATIENCE):
            while "outcome" not in spinner:
                await daemon.wait_until(lambda: daemon.pool.killed >= 1 or "outcome" in spinner)
                await trio.sleep(0)
        outcome = spinner["outcome"]
        assert not outcome.ok and outcome.error["type"] == "WorkerKilled"
        assert daemon.pool.killed == 1
        again = await inject(address, QUICK, [10], wait=True, timeout=PATIENCE)
        assert again.ok and again.value == (45, "solo"), "the daemon keeps serving"
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize("workers", [0, 1], ids=["in-process", "one worker"])
async def test_spinners_take_turns_and_a_short_sm_passes_them(workers) -> None:
    # two spinners and a quick SM, in the daemon's process or through a single
    # worker: each spinner stays paused (in the worker) between its fuel
    # slices, the quick one runs between
    node = NodeConfig(beacon_interval=None, fuel_per_sm=4_000_000, fuel_slice=200_000)
    async with trio.open_nursery() as nursery:
        daemon, address = await serve(nursery, node=node, workers=workers)
        send, receive = trio.open_memory_channel(3)

        async def run(name, source, args):
            outcome = await inject(address, source, args, wait=True, timeout=PATIENCE)
            await send.send((name, outcome))

        nursery.start_soon(run, "spin1", SPIN, [])
        nursery.start_soon(run, "spin2", SPIN, [])
        await daemon.wait_until(lambda: daemon.core.counters["requeues"] >= 2)
        nursery.start_soon(run, "quick", QUICK, [10])
        with trio.fail_after(PATIENCE):
            order = [await receive.receive() for _ in range(3)]
        assert order[0][0] == "quick" and order[0][1].value == (45, "solo")
        for name, outcome in order[1:]:
            assert not outcome.ok and outcome.error["type"] == "FuelExhausted"
            assert outcome.trip["fuel"] == 4_000_000, "fuel counted across its slices"
        counters = daemon.core.counters
        assert counters["requeues"] == 2 * 19 and counters["slices"] == 2 * 20 + 1
        if workers:
            assert daemon.pool.killed == 0 and len(daemon.pool.workers) == 1
        nursery.cancel_scope.cancel()


async def test_an_allocating_sm_ends_with_a_memory_error_in_its_worker() -> None:
    node = NodeConfig(beacon_interval=None, memory_mb=64)
    async with trio.open_nursery() as nursery:
        daemon, address = await serve(nursery, node=node, workers=1)
        hog = await inject(address, HOG, [], wait=True, timeout=PATIENCE)
        assert not hog.ok and hog.error["type"] == "MemoryExhausted"
        quick = await inject(address, QUICK, [5], wait=True, timeout=PATIENCE)
        assert quick.ok and quick.value == (10, "solo")
        nursery.cancel_scope.cancel()


async def test_workers_report_the_limits_they_run_under() -> None:
    async with trio.open_nursery() as nursery:
        daemon, address = await serve(nursery, node=NodeConfig(beacon_interval=None), workers=1)
        quick = await inject(address, QUICK, [3], wait=True, timeout=PATIENCE)
        assert quick.ok
        [worker] = daemon.pool.idle
        assert any(limit.startswith("address space") for limit in worker.limits)
        assert "16 open files" in worker.limits
        nursery.cancel_scope.cancel()


def test_a_worker_cannot_open_sockets_or_start_programs() -> None:
    import subprocess
    import sys
    probe = (
        "from smvm.workers.sandbox import lower_privileges\n"
        "applied = lower_privileges(None)\n"
        "import os, socket\n"
        "results = []\n"
        "for attempt in (lambda: socket.socket(), lambda: os.execv('/bin/true', ['true'])):\n"
        "    try:\n"
        "        attempt()\n"
        "        results.append('allowed')\n"
        "    except OSError as e:\n"
        "        results.append('refused')\n"
        "print(applied, results)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "'seccomp'" in out.stdout, out.stdout
    assert out.stdout.strip().endswith("['refused', 'refused']")


def test_a_worker_keeps_a_paused_sm_for_its_next_slice_and_drops_it_on_request() -> None:
    import tagspace
    from smvm import compile_brick
    from smvm.slices import SliceJob, Start
    from smvm.workers.child import run_job
    from smvm.workers.messages import encode_job
    parked: dict = {}
    principal = tagspace.Principal("n/1", "n/1", "n", frozenset())
    job = SliceJob("n/1", compile_brick(SPIN, "spin.py"), principal, Start("main", []),
                   fuel_limit=10**6, fuel_used=0, memory_mb=None, cpu_seconds=None,
                   fuel_slice=1_000)
    first = run_job(["run", 7, "n", encode_job(job), [0.0, []]], None, compile_brick, parked)
    assert first == ["done", 7, ["paused", 1_000]] and 7 in parked
    again = run_job(["continue", 7, [0.5, []]], None, compile_brick, parked)
    assert again == ["done", 7, ["paused", 2_000]] and 7 in parked
    assert run_job(["drop", 7], None, compile_brick, parked) == ["dropped", 7] and not parked
    gone = run_job(["continue", 7, [1.0, []]], None, compile_brick, parked)
    assert gone[2][0] == "failed" and gone[2][1]["type"] == "WorkerKilled"
