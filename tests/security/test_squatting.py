"""Class 7 (continued): squatting on the names other bricks rely on. Tag
names are one space per node, so a hostile SM could create a routing brick's
route or discovery tags before the routing brick does, to hold them (its
writes refused: discovery stalls) or fill them with a route of its choosing
(a misroute). The routing bricks' names are private to their code domain
(``@name``: ``tagspace._private``), so a hostile SM's names are other tags."""
from __future__ import annotations

from pathlib import Path

import pytest
import tagspace
from sim import StaticPlacement

from tests.routing.test_migrate import MOVE, lattice, network, private, result, unit

from ._attack import assert_exec_still_serves, exec_sm

ROUTE_NAMES = ["RouteTonode:{t}", "discovery_pending:node:{t}", "RouteLost" + "node:{t}",
               "RouteHopTime", "discovery_seq", "discovery_seen:0.1", "discovery_seen:0.2",
               "discovery_seen:0.3", "discovery_back:0.1"]

#: Creates every name the routing bricks use for ``target``, public and
#: private, readable and writable by everyone, holding a forged route; then
#: tries the discovery brick's stored form of each name too.
SQUATTER = '''
def main(target, discovery_hash, names):
    made = []
    for pattern in names:
        name = pattern.replace("{t}", target)
        for form in [name, "@" + name, "@" + discovery_hash + ":" + name]:
            try:
                create_tag(form, ["attacker", 1], None, {"others": "rw"})
                made.append(form)
            except TagError:
                pass
    return made
'''


def _discovery_hash() -> str:
    return private("x")[1:-2]


def _assert_net_still_serves(sim, net, node: int) -> None:
    """A normal SM injected at ``node`` after the attack runs and answers."""
    at = sim.now + 0.5
    net.inject(node, "def main(n):\n    return [node_id(), n * 3]\n", [14], at=at)
    sim.run(until=at + 5.0)
    assert any(rec.result == [str(node), 42] for rec in net.metrics.sms.values())


def _squat(net, node: int, target: str, at: float) -> None:
    net.inject(node, SQUATTER, [target, _discovery_hash(), ROUTE_NAMES], at=at)


def test_private_names_resolve_in_the_acting_code_domain() -> None:
    space = tagspace.TagSpace("n")
    routing = tagspace.Principal("r/1", "r/1", "n", frozenset({"hashR"}))
    hostile = tagspace.Principal("h/1", "h/1", "n", frozenset({"hashH"}))
    nobody = tagspace.Principal("x/1", "x/1", "n", frozenset())
    space.create(hostile, "@RouteTob", ["attacker", 1], None, {"others": "rw"}, now=0.0)
    space.create(hostile, "@hashR:RouteTob", ["attacker", 2], None, {"others": "rw"}, now=0.0)
    assert not space.exists("@RouteTob", 0.0, routing)
    space.create(routing, "@RouteTob", ["b", 1], None, {"code": "rw"}, now=0.0)
    assert space.read(routing, "@RouteTob", 0.0) == ["b", 1]
    assert space.read(routing, "@hashR:RouteTob", 0.0) == ["b", 1]  # the stored form
    assert space.read(hostile, "@RouteTob", 0.0) == ["attacker", 1]  # its own tag
    with pytest.raises(tagspace.TagMissing):
        space.read(hostile, "@hashR:@RouteTob", 0.0)
    for operation in (lambda: space.read(nobody, "@RouteTob", 0.0),
                      lambda: space.create(nobody, "@RouteTob", 1, now=0.0),
                      lambda: space.wait(nobody, "@RouteTob", "w", None, now=0.0)):
        with pytest.raises(tagspace.AccessDenied, match="acts in none"):
            operation()
    # a write by the routing brick wakes its own waiters, not a squatter's
    space.wait(hostile, "@RouteTob", "hostile-wait", None, now=0.0)
    space.wait(routing, "@RouteTob", "routing-wait", None, now=0.0)
    woken = space.write(routing, "@RouteTob", ["b", 2], 1.0)
    assert [w.token for w in woken] == ["routing-wait"]
    assert_exec_still_serves()


def test_squatted_route_names_neither_stall_nor_misroute_discovery(tmp_path: Path) -> None:
    """A squatter on the origin and on every node of the way creates the
    route and discovery names first; the routing SM still finds the target
    by its own route tags, and the nodes still serve."""
    source = unit(tmp_path, MOVE)
    sim, net = network(StaticPlacement(lattice(5, 1)))
    for node in range(4):
        _squat(net, node, "4", at=1.0)
    net.inject(0, source, [{"node": "4"}, 20.0], at=3.0)
    sim.run(until=30.0)
    squatters = [sm for sm, rec in net.metrics.sms.items() if rec.result and
                 isinstance(rec.result, list) and rec.result and isinstance(rec.result[0], str)
                 and rec.result[0].startswith(("Route", "@", "discovery"))]
    assert len(squatters) == 4
    made = net.metrics.sms[squatters[0]].result
    assert "RouteTonode:4" in made and "@RouteTonode:4" in made
    mover = next(sm for sm, rec in net.metrics.sms.items() if rec.result and
                 rec.result[0] in ("4", "timeout"))
    assert result(net, mover) == ["4", 4], "found and reached, no misroute"
    tags = net.cores["1"].tagspace
    assert tags.read(tags.node_principal, "RouteTonode:4", sim.now) == ["attacker", 1]
    route = tags.info(private("RouteTonode:4"), sim.now)
    assert route.code == frozenset({_discovery_hash()}) and route.access.others == ""
    _assert_net_still_serves(sim, net, 2)


def test_squatting_after_discovery_does_not_bend_a_known_route(tmp_path: Path) -> None:
    """Once a route exists, a squatter creating the names (public, private,
    stored forms) changes nothing: a second SM follows the real route."""
    source = unit(tmp_path, MOVE)
    sim, net = network(StaticPlacement(lattice(4, 1)))
    net.inject(0, source, [{"node": "3"}], at=2.0)
    sim.run(until=15.0)
    for node in range(3):
        _squat(net, node, "3", at=16.0)
    net.inject(0, source, [{"node": "3"}], at=18.0)
    sim.run(until=30.0)
    movers = [rec.result for rec in net.metrics.sms.values()
              if rec.result and rec.result[0] == "3"]
    assert movers == [["3", 3], ["3", 3]]
    _assert_net_still_serves(sim, net, 1)


def test_a_squatter_cannot_read_or_wait_on_the_routing_bricks_tags(tmp_path: Path) -> None:
    """A hostile SM naming the route tags (short or stored form) reaches only
    names of its own code domain: it reads nothing of the routing brick's and
    its waits are never woken by the brick's writes."""
    source = unit(tmp_path, MOVE)
    sim, net = network(StaticPlacement(lattice(3, 1)))
    spy = '''
def main(stored):
    seen = []
    for name in ["@RouteTonode:2", stored, "RouteTonode:2"]:
        try:
            seen.append(read_tag(name))
        except TagNotFound:
            seen.append("missing")
        except TagAccessError:
            seen.append("denied")
    try:
        block_tag("@RouteTonode:2", 5)
        seen.append("woken")
    except TagTimeout:
        seen.append("timeout")
    return seen
'''
    net.inject(0, spy, [private("RouteTonode:2")], at=1.5)
    net.inject(0, source, [{"node": "2"}], at=2.0)
    sim.run(until=20.0)
    results = [rec.result for rec in net.metrics.sms.values()]
    assert ["2", 2] in results
    [seen] = [r for r in results if r and r[0] != "2"]
    assert seen == ["missing", "missing", "missing", "timeout"]
    _assert_net_still_serves(sim, net, 1)


def test_a_brick_alone_has_its_private_names() -> None:
    """An SM of one brick acts in that brick's domain: its private names work
    (a program calling a library's unmarked helper acts in none, where they
    are refused: ``test_library_domains``)."""
    result = exec_sm("def main():\n    create_tag('@mine', 1)\n    return read_tag('@mine')\n")
    assert result.error is None and result.result == 1  # a brick alone has its domain
    assert_exec_still_serves()
