"""``smvm sumo DIR``: generate a scenario from a SUMO traffic simulation."""
from __future__ import annotations

import argparse

from smvm.errors import UsageError

from .common import EXIT_OK

NAME = "sumo"
HELP = "generate a scenario from a SUMO traffic simulation"


def configure(g: argparse.ArgumentParser) -> None:
    g.add_argument("out", metavar="DIR", help="folder for the SUMO files and scenario.toml "
                                                "(created if missing)")
    g.add_argument("--grid", type=int, default=4, help="street grid size (default 4 x 4)")
    g.add_argument("--block", type=float, default=100.0, help="block length in m (default 100)")
    g.add_argument("--duration", type=float, default=120.0, help="seconds (default 120)")
    g.add_argument("--period", type=float, default=2.0,
                   help="a vehicle enters every PERIOD seconds (default 2)")
    g.add_argument("--seed", type=int, default=1,
                   help="seed of SUMO's random trips and of the scenario (default 1)")
    g.add_argument("--net", default=None, metavar="FILE",
                   help="an existing SUMO network (.net.xml, e.g. from netconvert --osm-files) "
                        "instead of a generated grid")
    g.add_argument("--taxis", type=int, default=3,
                   help="vehicles with SUMO's taxi device, tagged Taxi (default 3)")
    g.add_argument("--customers", type=float, default=10.0, metavar="PERIOD",
                   help="a customer asks for a taxi every PERIOD seconds (default 10)")


def run(args: argparse.Namespace) -> int:
    from sim import ModelError
    from sim.sumo import generate_fcd, write_scenario
    try:
        made = generate_fcd(args.out, grid=args.grid, block=args.block, duration=args.duration,
                            period=args.period, seed=args.seed, net=args.net, taxis=args.taxis,
                            customer_period=args.customers)
        scenario = write_scenario(args.out, made.fcd, seed=args.seed, duration=args.duration,
                                  taxis=made.taxis, net=made.net if args.net else None)
    except ModelError as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {made.fcd} and {scenario} ({len(made.taxis)} taxis tagged Taxi); "
          f"add [[inject]] sections, then: smvm sim {scenario}")
    return EXIT_OK
