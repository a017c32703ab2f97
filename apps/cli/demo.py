"""``smvm demo``: the bundled demo scenario."""
from __future__ import annotations

import argparse

from .simulate import simulate

NAME = "demo"
HELP = "run the bundled demo scenario"


def configure(p: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from importlib import resources
    scenario = resources.files("sim").joinpath("scenarios/demo.toml")
    print("Demo: 40 cars on a Manhattan grid, 3 of them taxis; smart messages injected at four")
    print("cars hop through the ad-hoc network (each hop carries the running program) until")
    print("they reach a taxi. Open the replay it prints in a browser to watch them.\n")
    with resources.as_file(scenario) as path:
        return simulate(str(path), None, None, None, html=True)
