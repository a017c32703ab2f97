"""The hottest spot's world, host side: two hills, static relay nodes on a
grid, the user's node between the hills, sprinklers wandering inside each
hill (random waypoint within the disc), and the temperature every sprinkler's
sensor reads: a warm spot circling over each hill, a slow drift of the whole
field, a fixed offset per sensor, and the cooling of an open valve."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from sim.mobility import Waypoints

Point = tuple[float, float]


@dataclass(frozen=True)
class Hill:
    x: float
    y: float
    r: float

    def inside(self, p: Point) -> bool:
        return math.dist((self.x, self.y), p) <= self.r

    def space(self) -> list:
        """The hill as a space of the ``spatial.sp`` brick."""
        return ["circle", self.x, self.y, self.r]


@dataclass
class Layout:
    """Node ids: relays ``0..R-1`` (a grid, then one on each summit), the home ``R``, then the Left Hill's
    sprinklers, then the Right Hill's."""
    left: Hill
    right: Hill
    relays: list[Point]
    home: int
    home_at: Point
    left_sprinklers: list[int]
    right_sprinklers: list[int]
    paths: dict[int, list[tuple[float, float, float]]] = field(default_factory=dict)

    @property
    def sprinklers(self) -> list[int]:
        return self.left_sprinklers + self.right_sprinklers

    @property
    def nodes(self) -> list[int]:
        return list(range(self.home + 1 + len(self.sprinklers)))

    def mobility(self) -> Waypoints:
        return Waypoints(self.paths)


def _in_disc(rng: random.Random, hill: Hill) -> Point:
    a, r = rng.uniform(0.0, 2 * math.pi), hill.r * math.sqrt(rng.random())
    return hill.x + r * math.cos(a), hill.y + r * math.sin(a)


def wander(rng: random.Random, hill: Hill, until: float, speed: tuple[float, float],
           pause: float) -> list[tuple[float, float, float]]:
    """Random waypoint inside the hill's disc, as waypoints [t, x, y]."""
    x, y = _in_disc(rng, hill)
    t, path = 0.0, [(0.0, x, y)]
    while t < until:
        nx, ny = _in_disc(rng, hill)
        t += max(math.dist((x, y), (nx, ny)) / rng.uniform(*speed), 1e-3)
        path.append((t, nx, ny))
        rest = rng.uniform(0.0, pause)
        if rest > 1e-3:
            t += rest
            path.append((t, nx, ny))
        x, y = nx, ny
    return path


def layout(p: dict, rng: random.Random) -> Layout:
    gap = p["hill_gap"]
    left = Hill(p["hill_radius"] + 50.0, p["hill_radius"] + 50.0, p["hill_radius"])
    right = Hill(left.x + 2 * p["hill_radius"] + gap, left.y, p["hill_radius"])
    width, height = right.x + right.r + 50.0, 2 * left.y
    s = p["relay_spacing"]
    # a relay on each summit: spatial discovery enters a hill at its centre, and
    # a node exactly there ends that route at once
    relays = [(i * s, j * s) for j in range(int(height // s) + 1)
              for i in range(int(width // s) + 1)] + [(left.x, left.y), (right.x, right.y)]
    home = len(relays)
    home_at = ((left.x + right.x) / 2, left.y + 10.0)
    n = p["sprinklers"]
    out = Layout(left, right, relays, home, home_at,
                 list(range(home + 1, home + 1 + n)), list(range(home + 1 + n, home + 1 + 2 * n)))
    for i, at in enumerate(relays):
        out.paths[i] = [(0.0, *at)]
    out.paths[home] = [(0.0, *home_at)]
    for node in out.sprinklers:
        hill = left if node in out.left_sprinklers else right
        out.paths[node] = wander(rng, hill, p["duration"] + 1.0,
                                 (p["speed_min"], p["speed_max"]), p["pause"])
    return out


class Weather:
    """Temperatures (degrees C, to 0.1) of the sprinklers' sensors. An open
    valve wets the ground, which cools the sensor's reading by up to
    ``cooling`` degrees; the ground dries again once the valve is closed (both
    with time constant ``cooling_time``)."""

    def __init__(self, p: dict, where: Layout, rng: random.Random, valve_writes) -> None:
        self.p, self.where = p, where
        self.offset = {n: rng.uniform(-p["sensor_offset"], p["sensor_offset"])
                       for n in where.sprinklers}
        self.phase = {"left": rng.uniform(0.0, 2 * math.pi),
                      "right": rng.uniform(0.0, 2 * math.pi)}
        self.valve_writes = valve_writes   # node -> [(t, value), ...] in time order

    def spot(self, side: str, t: float) -> Point:
        """Where the warm spot over a hill is at ``t``: circling at 2/3 of its radius."""
        hill = self.where.left if side == "left" else self.where.right
        a = self.phase[side] + 2 * math.pi * t / self.p["spot_period"]
        return hill.x + 0.66 * hill.r * math.cos(a), hill.y + 0.66 * hill.r * math.sin(a)

    def air(self, at: Point, t: float) -> float:
        """The field's temperature at a point, without sensor offsets or watering."""
        p = self.p
        value = p["base_temp"] + p["drift"] * math.sin(2 * math.pi * t / (4 * p["spot_period"]))
        for side, peak in (("left", p["left_peak"]), ("right", p["right_peak"])):
            sx, sy = self.spot(side, t)
            d2 = (at[0] - sx) ** 2 + (at[1] - sy) ** 2
            value += peak * math.exp(-d2 / (2 * p["spot_width"] ** 2))
        return value

    def wetness(self, node: int, t: float) -> float:
        """0 (dry) .. 1 (soaked): the valve's history up to ``t``."""
        tau, wet, since, is_open = self.p["cooling_time"], 0.0, 0.0, False
        for when, value in self.valve_writes(node):
            if when > t:
                break
            wet = self._settle(wet, is_open, when - since, tau)
            since, is_open = when, value is True
        return self._settle(wet, is_open, t - since, tau)

    @staticmethod
    def _settle(wet: float, is_open: bool, dt: float, tau: float) -> float:
        decay = math.exp(-max(dt, 0.0) / tau)
        return 1.0 - (1.0 - wet) * decay if is_open else wet * decay

    def reading(self, node: int, at: Point, t: float) -> float:
        value = self.air(at, t) + self.offset[node] - self.p["cooling"] * self.wetness(node, t)
        return round(value, 1)
