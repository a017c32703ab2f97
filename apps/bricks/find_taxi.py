"""Demo SM: walk the ad-hoc network until a node carrying the "Taxi" tag is
found, never revisiting a node (depth-first, backtracking along the path),
then report the taxi and the way there. Cut off from every unvisited node, it
waits for the mobile network to change and searches again.

The search itself, ``find_taxi(tag, patience, deadline)``, is the brick
``apps.taxi_search`` (other bricks use it: the naive booking EZCab is compared
with).
"""
from apps.taxi_search import find_taxi


def main():
    return find_taxi("Taxi", 30, None)
