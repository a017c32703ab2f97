"""Realistic movement from the SUMO traffic simulator (the ``eclipse-sumo``
package ships its binaries and tools): generate a street grid, random trips
on it, run SUMO, and write its FCD trace plus a scenario that uses it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ._errors import ModelError

TIMEOUT_S = 300


def sumo_home() -> str:
    try:
        import sumo  # the eclipse-sumo wheel
    except ImportError:
        raise ModelError("SUMO is not installed: pip install 'smvm[sumo]' (eclipse-sumo)") from None
    return sumo.SUMO_HOME


def _run(args: list[str], cwd: Path, home: str) -> None:
    env = dict(os.environ, SUMO_HOME=home)
    try:
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(f"{Path(args[0]).name} failed: {exc}") from None
    if done.returncode != 0:
        raise ModelError(f"{Path(args[-1] if args[0] == sys.executable else args[0]).name} "
                         f"failed: {(done.stderr or done.stdout).strip()[-500:]}")


def generate_fcd(out: str | Path, *, grid: int = 4, block: float = 100.0,
                 duration: float = 60.0, period: float = 2.0, seed: int = 1) -> Path:
    """A ``grid`` × ``grid`` street network, a vehicle entering every
    ``period`` seconds on a random trip, simulated for ``duration`` seconds;
    returns the FCD trace (x/y in metres)."""
    if grid < 2 or block <= 0 or duration <= 0 or period <= 0:
        raise ModelError("need grid >= 2 and positive block, duration and period")
    home = sumo_home()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    binary = Path(home) / "bin"
    _run([str(binary / "netgenerate"), "--grid", f"--grid.number={grid}",
          f"--grid.length={block}", "--seed", str(seed), "-o", "net.net.xml"], out, home)
    _run([sys.executable, str(Path(home) / "tools" / "randomTrips.py"), "-n", "net.net.xml",
          "-o", "trips.xml", "-e", str(duration), "-p", str(period), "--seed", str(seed)], out, home)
    _run([str(binary / "sumo"), "-n", "net.net.xml", "-r", "trips.xml", "--fcd-output",
          "drive.fcd.xml", "--end", str(duration), "--seed", str(seed), "--no-step-log",
          "--ignore-route-errors"], out, home)
    return out / "drive.fcd.xml"


def write_scenario(out: str | Path, fcd: Path, *, seed: int, duration: float,
                   radio_range: float = 150.0, taxis: int = 3) -> Path:
    """A scenario file moving nodes along ``fcd``; the first ``taxis``
    vehicles carry a ``Taxi`` tag (readable by every SM)."""
    from .traces import FcdTrace
    vehicles = len(FcdTrace.from_file(fcd).names)
    marked = ", ".join(str(i) for i in range(min(taxis, vehicles)))
    path = Path(out) / "scenario.toml"
    path.write_text(
        "# generated from a SUMO run: nodes are the vehicles of drive.fcd.xml\n"
        f"[simulation]\nseed = {seed}\nduration = {duration}\n\n"
        f"[radio]\nrange = {radio_range}\n\n"
        f'[nodes]\nmobility = "fcd"\ntrace = "{fcd.name}"\nbeacon_interval = 1.0\n\n'
        f'[[tags]]\nnodes = [{marked}]\nname = "Taxi"\nvalue = true\n', encoding="utf-8")
    return path
