"""frames.pcap, like metrics.json, is byte-identical for the same seed, even
across processes whose string hashing differs (an SM carrying a set of
strings: its items travel in an order that does not depend on the hash)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BRICK = '''
def main():
    seen = {"alpha", "beta", "gamma", "delta", "epsilon", node_id()}
    sys_migrate("1")
    seen.add(node_id())
    return sorted(seen)
'''
SCENARIO = '''
[simulation]
seed = 5
duration = 5.0
[radio]
range = 150.0
[nodes]
count = 2
placement = "line"
spacing = 100.0
mobility = "static"
[[inject]]
node = 0
brick = "carry_set.py"
at = 1.0
'''


def run_sim(tmp_path: Path, hash_seed: str) -> Path:
    out = tmp_path / f"out-{hash_seed}"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "apps.cli", "sim", str(tmp_path / "s.toml"),
                           "--out", str(out)], env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr
    return out


def test_frames_pcap_is_the_same_bytes_for_the_same_seed(tmp_path) -> None:
    (tmp_path / "carry_set.py").write_text(BRICK, encoding="utf-8")
    (tmp_path / "s.toml").write_text(SCENARIO, encoding="utf-8")
    first, second = run_sim(tmp_path, "1"), run_sim(tmp_path, "2")
    for name in ("frames.pcap", "metrics.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert b"Transfer" in (first / "metrics.json").read_bytes()
