"""A straight one-way highway in SUMO: the road along the x axis from 0 to
``length`` metres, ``lanes`` lanes, vehicles on it from the start (spread
along the road) and a flow entering at its beginning; SUMO drives them and
writes their FCD trace."""
from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

from sim import ModelError
from sim.sumo import TIMEOUT_S, sumo_home


def _run(args: list[str], cwd: Path) -> None:
    home = sumo_home()
    try:
        done = subprocess.run(args, cwd=cwd, env=dict(os.environ, SUMO_HOME=home),
                              capture_output=True, text=True, timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(f"{Path(args[0]).name} failed: {exc}") from None
    if done.returncode != 0:
        raise ModelError(f"{Path(args[0]).name} failed: {(done.stderr or done.stdout)[-500:]}")


def generate(out: Path, *, length: float, lanes: int, spacing: float, duration: float,
             speed: float, seed: int) -> Path:
    """Run SUMO on the highway; returns the FCD file (cached in ``out``)."""
    fcd = out / "drive.fcd.xml"
    if fcd.is_file():
        return fcd
    out.mkdir(parents=True, exist_ok=True)
    (out / "hw.nod.xml").write_text(
        f'<nodes>\n  <node id="a" x="0" y="0"/>\n  <node id="b" x="{length:g}" y="0"/>\n</nodes>\n')
    (out / "hw.edg.xml").write_text(
        f'<edges>\n  <edge id="hw" from="a" to="b" numLanes="{lanes}" speed="{speed:g}"/>\n'
        f'</edges>\n')
    rng = random.Random(seed)
    cars, x = [], 10.0
    while x < length - 50:
        cars.append(f'  <vehicle id="v{len(cars)}" type="car" route="r" depart="0" '
                    f'departPos="{x:.1f}" departLane="{rng.randrange(lanes)}" departSpeed="max"/>')
        x += spacing * rng.uniform(0.6, 1.4)
    period = spacing / speed  # keep the density the same as cars enter
    (out / "hw.rou.xml").write_text(
        '<routes>\n'
        '  <vType id="car" speedFactor="normc(1,0.08,0.8,1.2)" sigma="0.5"/>\n'
        '  <route id="r" edges="hw"/>\n' + "\n".join(cars) + "\n"
        f'  <flow id="f" type="car" route="r" begin="0" end="{duration:g}" period="{period:.3f}" '
        f'departLane="random" departSpeed="max"/>\n'
        '</routes>\n')
    binary = Path(sumo_home()) / "bin"
    _run([str(binary / "netconvert"), "--node-files", "hw.nod.xml", "--edge-files", "hw.edg.xml",
          "-o", "hw.net.xml"], out)
    _run([str(binary / "sumo"), "-n", "hw.net.xml", "-r", "hw.rou.xml", "--fcd-output",
          "drive.fcd.xml", "--end", f"{duration:g}", "--seed", str(seed), "--no-step-log"], out)
    return fcd
