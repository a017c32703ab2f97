"""Every brick shown in docs/language.md compiles, runs in the VM on a line
of three nodes and gives what CPython gives for it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.line import run_line

from . import _stubs

DOC = Path(__file__).resolve().parents[2] / "docs" / "language.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_document_shows_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("source", EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_example_runs_as_in_cpython(source):
    res = run_line(source, [], nodes=3, filename="example.py")
    ref = _stubs.run_reference(source, [], nodes=3, filename="example.py")
    assert res.error is None, res.error
    assert ref.error_type is None, ref.error_message
    assert _stubs.same_value(ref.result, res.result) is None
    assert (res.node, res.hops) == (ref.node, ref.hops) and res.hops > 0
