"""Realistic movement from the SUMO traffic simulator (the ``eclipse-sumo``
package ships its binaries and tools): a street network (a generated grid,
or an existing ``.net.xml`` such as one ``netconvert --osm-files`` made from
OpenStreetMap), random car trips, a fleet of taxis carrying SUMO's taxi
device and customers riding them; run SUMO, and write its FCD trace plus a
scenario that uses it, with exactly the taxi-device vehicles tagged ``Taxi``."""
from __future__ import annotations

import gzip
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ._errors import ModelError

TIMEOUT_S = 300
#: The vehicle type of the taxi fleet: SUMO gives its vehicles the taxi device.
TAXI_TYPE = "taxi"
_TAXI_TYPES = f"""<additional>
    <!-- vehicles of this type carry SUMO's taxi device (written by smvm sumo) -->
    <vType id="{TAXI_TYPE}" vClass="taxi" color="yellow">
        <param key="has.taxi.device" value="true"/>
    </vType>
</additional>
"""


@dataclass(frozen=True)
class SumoRun:
    """What a SUMO run produced."""

    fcd: Path                 # vehicles' positions (x/y in metres)
    net: Path                 # the street network it ran on
    taxis: frozenset[str]     # ids of the vehicles that carried the taxi device
    tripinfo: Path            # SUMO's per-vehicle summary (devices, taxi service)


def sumo_home() -> str:
    try:
        import sumo  # the eclipse-sumo wheel
    except ImportError:
        raise ModelError("SUMO is not installed: pip install 'smvm[sumo]' (eclipse-sumo)") from None
    return sumo.SUMO_HOME


def _run(args: list[str], cwd: Path, home: str) -> None:
    env = dict(os.environ, SUMO_HOME=home)
    proj = Path(home) / "data" / "proj"
    if proj.is_dir():  # the wheel's PROJ data: geo-referenced (OSM) networks need it
        env.setdefault("PROJ_DATA", str(proj))
        env.setdefault("PROJ_LIB", str(proj))
    try:
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(f"{Path(args[0]).name} failed: {exc}") from None
    if done.returncode != 0:
        tool = Path(args[1] if args[0] == sys.executable else args[0]).name
        lines = [line for line in (done.stderr or done.stdout).splitlines()
                 if not line.startswith("Warning:")]
        raise ModelError(f"{tool} failed: {chr(10).join(lines).strip()[-500:]}")


def check_net(path: str | Path) -> Path:
    """``path`` as a readable SUMO network (``.net.xml``, optionally gzipped);
    ``ModelError`` saying what is wrong otherwise."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise ModelError(f"{path}: no such network file")
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            root = next(ET.iterparse(f, events=("start",)))[1]
    except (OSError, EOFError, ET.ParseError, StopIteration) as exc:
        raise ModelError(f"{path}: not a SUMO network (.net.xml): {exc or 'empty file'}") from None
    if root.tag == "osm":
        raise ModelError(f"{path}: an OpenStreetMap file, not a SUMO network; convert it "
                         f"first: netconvert --osm-files {path.name} -o map.net.xml")
    if root.tag != "net":
        raise ModelError(f"{path}: not a SUMO network (.net.xml): the root element is "
                         f"<{root.tag}>, not <net>")
    return path


def generate_fcd(out: str | Path, *, grid: int = 4, block: float = 100.0,
                 duration: float = 60.0, period: float = 2.0, seed: int = 1,
                 net: str | Path | None = None, taxis: int = 3,
                 customer_period: float = 10.0) -> SumoRun:
    """Drive SUMO and return its trace.

    The network is ``net`` if given, else a ``grid`` × ``grid`` street grid of
    ``block`` metres. A car enters every ``period`` seconds on a random trip;
    ``taxis`` vehicles of type ``taxi`` (which carries the taxi device) enter
    in the first seconds and cruise while idle; a customer asks for a taxi
    ride every ``customer_period`` seconds. Simulated for ``duration`` seconds.
    """
    if duration <= 0 or period <= 0 or customer_period <= 0 or taxis < 0:
        raise ModelError("need positive duration, period and customer period, and taxis >= 0")
    if net is None and (grid < 2 or block <= 0):
        raise ModelError("need grid >= 2 and a positive block length")
    net_path = check_net(net) if net is not None else None
    home = sumo_home()
    out = Path(out).resolve()  # the SUMO tools run in it: a relative path would not resolve
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"cannot create {out}: {exc.strerror or exc}") from None
    binary = Path(home) / "bin"
    trips = [sys.executable, str(Path(home) / "tools" / "randomTrips.py")]
    if net_path is None:
        _run([str(binary / "netgenerate"), "--grid", f"--grid.number={grid}",
              f"--grid.length={block}", "--seed", str(seed), "-o", "net.net.xml"], out, home)
        net_path = out / "net.net.xml"
    (out / "taxi.type.xml").write_text(_TAXI_TYPES, encoding="utf-8")
    routes = ["cars.trips.xml"]
    _run([*trips, "-n", str(net_path), "-o", "cars.trips.xml", "-e", str(duration),
          "-p", str(period), "--seed", str(seed), "--prefix", "car"], out, home)
    if taxis:
        # the fleet: enters one a second; taxis and customers only use
        # edges taxis may drive on (seeds differ so that trips do too)
        _run([*trips, "-n", str(net_path), "-o", "taxis.trips.xml", "-b", "0",
              "-e", str(taxis), "-p", "1", "--seed", str(seed + 1), "--prefix", "taxi",
              "--vclass", "taxi", "--trip-attributes", f'type="{TAXI_TYPE}"',
              "-a", "taxi.type.xml"], out, home)
        _run([*trips, "-n", str(net_path), "-o", "customers.xml", "-e", str(duration),
              "-p", str(customer_period), "--seed", str(seed + 2), "--prefix", "customer",
              "--personrides", "taxi", "--vclass", "taxi"], out, home)
        routes = ["taxis.trips.xml", *routes, "customers.xml"]
    _run([str(binary / "sumo"), "-n", str(net_path), "-a", "taxi.type.xml",
          "-r", ",".join(routes), "--fcd-output", "drive.fcd.xml",
          "--person-fcd-output", "customers.fcd.xml",  # people walk: not nodes
          "--tripinfo-output", "tripinfo.xml", "--tripinfo-output.write-unfinished",
          "--device.taxi.idle-algorithm", "randomCircling",
          "--device.taxi.dispatch-period", "5",
          "--end", str(duration), "--seed", str(seed), "--no-step-log",
          "--ignore-route-errors"], out, home)
    return SumoRun(out / "drive.fcd.xml", net_path, taxi_vehicles(out / "tripinfo.xml"),
                   out / "tripinfo.xml")


def taxi_vehicles(tripinfo: str | Path) -> frozenset[str]:
    """Ids of the vehicles SUMO equipped with the taxi device, from its
    ``--tripinfo-output`` (each vehicle lists its devices, ``taxi_<id>``)."""
    try:
        root = ET.parse(tripinfo).getroot()
    except (OSError, ET.ParseError) as exc:
        raise ModelError(f"{tripinfo}: cannot read SUMO's trip info: {exc}") from None
    found = set()
    for info in root.iter("tripinfo"):
        vid = info.get("id")
        if vid is not None and f"taxi_{vid}" in info.get("devices", "").split():
            found.add(vid)
    return frozenset(found)


def write_scenario(out: str | Path, fcd: Path, *, seed: int, duration: float,
                   radio_range: float = 150.0, taxis: frozenset[str] | set[str] = frozenset(),
                   net: Path | None = None) -> Path:
    """A scenario file moving nodes along ``fcd``; the vehicles named in
    ``taxis`` carry a ``Taxi`` tag (readable by every SM)."""
    from .traces import FcdTrace
    names = FcdTrace.from_file(fcd).names
    marked = [i for i, name in enumerate(names) if name in taxis]
    path = Path(out) / "scenario.toml"
    text = ("# generated from a SUMO run: nodes are the vehicles of drive.fcd.xml"
            + (f"\n# network: {net}" if net is not None else "") + "\n"
            f"[simulation]\nseed = {seed}\nduration = {duration}\n\n"
            f"[radio]\nrange = {radio_range}\n\n"
            f'[nodes]\nmobility = "fcd"\ntrace = "{fcd.name}"\nbeacon_interval = 1.0\n')
    if marked:
        shown = ", ".join(names[i] for i in marked)
        text += (f"\n# vehicles with SUMO's taxi device: {shown}\n"
                 f'[[tags]]\nnodes = [{", ".join(map(str, marked))}]\nname = "Taxi"\nvalue = true\n')
    path.write_text(text, encoding="utf-8")
    return path
