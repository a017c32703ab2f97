"""A spatial program's run is the same bytes for the same seed, across
processes whose string hashing differs: frames.pcap (the compressed code of
its linked unit and the compressed continuations on every hop) and
metrics.json."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"

SCRIPT = '''
import sys
from pathlib import Path
from sim.program import run_program
from sim.run import write_outputs, write_pcap
from sim.scenario import load
from smvm.compiler import load_brick

data, out = Path(sys.argv[1]), Path(sys.argv[2])
outcome = run_program(load(data / "two_hills.toml"), load_brick(data / "hottest.py"),
                      name="hottest.py", record_frames=True)
assert outcome.error is None, outcome.error
write_outputs(outcome.run, out)
write_pcap(outcome.run, out / "frames.pcap")
'''


def run(tmp_path: Path, hash_seed: str) -> Path:
    out = tmp_path / f"out-{hash_seed}"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(DATA), str(out)], env=env,
                          capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr
    return out


def test_a_spatial_run_is_the_same_bytes_for_the_same_seed(tmp_path) -> None:
    from scapy.utils import rdpcap

    import smvm.wire.scapy_layer  # noqa: F401 - binds the frame format to the port
    from smvm import wire

    first, second = run(tmp_path, "1"), run(tmp_path, "2")
    for name in ("frames.pcap", "metrics.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    reassembler, units = wire.Reassembler(), []
    for i, packet in enumerate(rdpcap(str(first / "frames.pcap"))):
        message = reassembler.feed(bytes(packet["UDP"].payload), packet["IP"].src, i * 1e-3)
        if message is not None:
            frame = wire.decode(message)
            if type(frame) is wire.Transfer:
                units += [source for _, source in frame.code]
    assert units and all('["spatial.sp",' in source for source in units)
