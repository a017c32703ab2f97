"""Class 7: code domains hold identically in every mode (in-process as
``smvm exec`` and ``smvm sim`` run SMs, and in a daemon's workers), and no
brick rebinds a primitive, a builtin or another brick's globals."""
from __future__ import annotations

import pytest
import trio

from smvm.client import inject
from smvm.compiler import check_source, compile_brick, load_brick
from smvm.errors import CompileError
from tests.patience import PATIENCE

from ._attack import assert_exec_still_serves, exec_sm
from ._workers import assert_still_serves, start_solo

LIB = '''
def lib_make(name):
    create_tag(name, "secret", 30, {"owner": "", "code": "rw"})
    return 1

def lib_helper():
    return 2
'''

READS_LIB_TAG = '''
from lib import lib_make

def main():
    lib_make("libtag")
    try:
        return read_tag("libtag")
    except TagAccessError:
        return "denied"
'''

WAKES_ON_LIB_TAG = '''
from lib import lib_make

def maker():
    lib_make("libtag2")
    return 1

def main():
    spawn(maker)
    return block_tag("libtag2", 5)
'''


def _unit(tmp_path, main: str) -> str:
    (tmp_path / "lib.py").write_text(LIB)
    (tmp_path / "main.py").write_text(main)
    return load_brick(tmp_path / "main.py")


def test_a_library_tag_is_closed_to_the_importing_code_in_process(tmp_path) -> None:
    result = exec_sm(_unit(tmp_path, READS_LIB_TAG))
    assert result.error is None and result.result == "denied"
    assert_exec_still_serves()


def test_a_wait_wakes_in_the_domain_of_the_code_that_waited(tmp_path) -> None:
    """Waiting is allowed before the tag exists; the value it wakes with is
    read with the rights of the brick that called ``block_tag``."""
    result = exec_sm(_unit(tmp_path, WAKES_ON_LIB_TAG))
    assert result.error is None and result.result is None, result.result
    assert_exec_still_serves()


@pytest.mark.parametrize("main", ["reads", "wakes"])
async def test_code_domains_hold_the_same_in_a_daemons_workers(tmp_path, main) -> None:
    source = _unit(tmp_path, READS_LIB_TAG if main == "reads" else WAKES_ON_LIB_TAG)
    async with trio.open_nursery() as nursery:
        address = await start_solo(nursery)
        outcome = await inject(address, source, [], wait=True, timeout=PATIENCE)
        assert outcome.ok, outcome.error
        assert outcome.value == ("denied" if main == "reads" else None)
        await assert_still_serves(address)
        nursery.cancel_scope.cancel()


PRIMITIVE_REBINDINGS = {
    "primitive_assigned": "def fake(n):\n    return n\nsys_migrate = fake\n",
    "primitive_defined": "def read_tag(name):\n    return 'forged'\n",
    "primitive_global": "def main():\n    global create_tag\n    create_tag = 5\n    return 1\n",
    "primitive_deleted": "def main():\n    global log\n    del log\n    return 1\n",
}


@pytest.mark.parametrize("name", sorted(PRIMITIVE_REBINDINGS))
def test_primitives_cannot_be_rebound(name: str) -> None:
    source = PRIMITIVE_REBINDINGS[name]
    if "def main" not in source:
        source += "\ndef main():\n    return 1\n"
    errors = check_source(source)
    assert errors and "cannot be rebound" in str(errors[0])
    with pytest.raises(CompileError, match="cannot be rebound"):
        exec_sm(source)
    assert_exec_still_serves()


SHARED_REBINDINGS = {
    "builtin_assigned": "len = 3\n",
    "builtin_defined": "def set(values):\n    return 'mine'\n",
    "builtin_imported": "from math import sqrt as abs\n",
    "builtin_global": "def main():\n    global sorted\n    sorted = 5\n    return lib_make('x')\n",
    "exception_rebound": "TagAccessError = 1\n",
}


@pytest.mark.parametrize("name", sorted(SHARED_REBINDINGS))
def test_no_linked_brick_rebinds_a_builtin_the_others_call(tmp_path, name: str) -> None:
    """A library's code calls the builtins (and catches the guest
    exceptions) of the namespace all linked bricks share."""
    main = "from lib import lib_make\n\n" + SHARED_REBINDINGS[name]
    if "def main" not in main:
        main += "\ndef main():\n    return lib_make('x')\n"
    with pytest.raises(CompileError, match="share one namespace"):
        exec_sm(_unit(tmp_path, main))
    assert_exec_still_serves()


def test_a_brick_alone_may_redefine_a_builtin_for_itself() -> None:
    result = exec_sm("def set(values):\n    return 'mine'\n\ndef main():\n    return set([1])\n")
    assert result.error is None and result.result == "mine"


def test_local_names_may_still_shadow_builtins() -> None:
    result = exec_sm("def main():\n    len = 3\n    now = 4\n    return len + now\n")
    assert result.error is None and result.result == 7


def test_a_brick_cannot_rebind_a_librarys_global(tmp_path) -> None:
    main = ("from lib import lib_make\n\ndef evil():\n    return 9\n\n"
            "def main():\n    global lib_helper\n    lib_helper = evil\n    return lib_make('x')\n")
    with pytest.raises(CompileError, match="cannot be declared global"):
        compile_brick(_unit(tmp_path, main), "main.py")
    assert_exec_still_serves()


def test_a_brick_cannot_rebind_a_librarys_imported_name(tmp_path) -> None:
    main = ("from lib import lib_make\n\ndef main():\n    global lib_make\n"
            "    lib_make = 5\n    return 1\n")
    with pytest.raises(CompileError, match="cannot be declared global"):
        compile_brick(_unit(tmp_path, main), "main.py")
    assert_exec_still_serves()
