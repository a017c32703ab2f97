"""Class 7 (continued): a library's code-domain rights serve only its own
code's direct actions and the functions it marks ``@own_domain``
(``smvm.code_domains``). An importing brick that calls an unmarked helper,
passes a callback into a marked one, spawns at a helper or starts the
library alone at a helper gets no rights in the library's domain, in
process and in a daemon's workers alike; the routing bricks' route tags
cannot be forged through them."""
from __future__ import annotations

import pytest
import trio

from smvm.client import inject
from smvm.compiler import CompileError, compile_brick, load_brick
from tests.patience import PATIENCE

from ._attack import assert_exec_still_serves, exec_sm
from ._workers import assert_still_serves, start_solo

LIB = '''
def lib_set(name, value):
    try:
        write_tag(name, value)
    except TagNotFound:
        create_tag(name, value, 30, {"owner": "", "code": "rw"})
    return 1

def lib_get(name):
    return read_tag(name)

@own_domain
def lib_open(name):
    lib_set(name, "set by the library")
    return lib_get(name)

@own_domain
def lib_call(function):
    return function()

@own_domain
def lib_entry():
    return lib_open("lib_tag")
'''

ATTACKS = {
    # the library writes its tag through its marked function: allowed
    "marked": ("lib_open('lib_tag')", "set by the library"),
    # an unmarked helper called by the program acts in no code domain
    "helper write": ("lib_open('lib_tag') and lib_set('lib_tag', 'forged')", "denied"),
    "helper read": ("lib_open('lib_tag') and lib_get('lib_tag')", "denied"),
    # a callback through a marked function is the program's code
    "callback": ("lib_open('lib_tag') and lib_call(lambda: lib_set('lib_tag', 'forged'))",
                 "denied"),
    "callback direct": ("lib_open('lib_tag') and lib_call(lambda: write_tag('lib_tag', 'x'))",
                        "denied"),
}


def _main(expression: str) -> str:
    return f'''
from lib import lib_call, lib_entry, lib_get, lib_open, lib_set

def main():
    try:
        return {expression}
    except TagAccessError:
        return "denied"
'''


def _unit(tmp_path, main: str) -> str:
    (tmp_path / "lib.py").write_text(LIB)
    (tmp_path / "main.py").write_text(main)
    return load_brick(tmp_path / "main.py")


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_library_acts_in_its_domain_only_through_its_marked_functions(tmp_path, name) -> None:
    expression, expected = ATTACKS[name]
    result = exec_sm(_unit(tmp_path, _main(expression)))
    assert result.error is None, result.error
    assert result.result == expected
    assert_exec_still_serves()


def test_an_sm_spawned_at_a_library_helper_has_no_rights_in_its_domain(tmp_path) -> None:
    source = _unit(tmp_path, '''
from lib import lib_open, lib_set

def main():
    lib_open("lib_tag")
    spawn(lib_set, "lib_tag", "forged by a child")
    try:
        block_tag("wait", 1)
    except TagTimeout:
        pass
    return lib_open("lib_tag")
''')
    result = exec_sm(source)
    assert result.error is None, result.error
    assert result.result == "set by the library"


@pytest.mark.parametrize("entry,allowed", [("lib_set", False), ("lib_entry", True)])
def test_create_sm_starts_a_library_alone_only_at_a_marked_function(tmp_path, entry, allowed):
    result = exec_sm(_unit(tmp_path, f'''
from lib import lib_open

def main():
    try:
        create_sm("lib", "{entry}", "lib_tag", "forged")
    except ValueError as e:
        return str(e)
    return "started"
'''))
    assert result.error is None, result.error
    if allowed:
        assert result.result == "started"
    else:
        assert "only at a function it marks @own_domain" in result.result
    assert_exec_still_serves()


@pytest.mark.parametrize("name", ["helper write", "callback", "marked"])
async def test_library_domains_hold_the_same_in_a_daemons_workers(tmp_path, name) -> None:
    expression, expected = ATTACKS[name]
    source = _unit(tmp_path, _main(expression))
    async with trio.open_nursery() as nursery:
        address = await start_solo(nursery)
        outcome = await inject(address, source, [], wait=True, timeout=PATIENCE)
        assert outcome.ok, outcome.error
        assert outcome.value == expected
        await assert_still_serves(address)
        nursery.cancel_scope.cancel()


def test_a_program_cannot_forge_a_route_through_the_routing_bricks(tmp_path) -> None:
    """The on-demand routing brick's helpers write route tags for their own
    code only. A program calling one acts in no code domain, where the route
    tags' private names are refused: the routing code of any other SM sees
    no route. Starting the brick alone at a helper is refused."""
    (tmp_path / "main.py").write_text('''
from routing.discovery import discovery_put, discovery_read, discovery_route_failed

def look():
    create_tag("seen", discovery_read("@RouteTonode:victim"), 30, {"family": "rw"})

def main():
    out = []
    try:
        discovery_put("@RouteTonode:victim", ["attacker", 1], 30)
        out.append("written")
    except TagAccessError:
        out.append("no domain")
    try:
        create_sm("routing.discovery", "discovery_put", "@RouteTonode:victim", ["attacker", 1], 30)
        out.append("started")
    except ValueError:
        out.append("refused")
    spawn(look)  # another SM of the node, with the routing brick
    out.append(block_tag("seen", 5))
    discovery_route_failed("victim")  # marked: safe for any caller
    return out
''')
    result = exec_sm(load_brick(tmp_path / "main.py"))
    assert result.error is None, result.error
    assert result.result == ["no domain", "refused", None]
    assert_exec_still_serves()


@pytest.mark.parametrize("source", [
    "def main():\n    @own_domain\n    def inner():\n        return 1\n    return inner()\n",
    "class C:\n    @own_domain\n    def m(self):\n        return 1\n\ndef main():\n    return 1\n",
    "@own_domain\n@own_domain\ndef f():\n    return 1\n\ndef main():\n    return f()\n",
])
def test_the_mark_is_for_module_level_functions_alone(source: str) -> None:
    with pytest.raises(CompileError, match="own_domain"):
        compile_brick(source)


def test_a_marked_brick_alone_runs_as_before() -> None:
    result = exec_sm("@own_domain\ndef main():\n    create_tag('t', 1)\n    return read_tag('t')\n")
    assert result.error is None and result.result == 1
