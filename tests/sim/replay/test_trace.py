"""The trace record format: reading within limits with one-line errors, and
what a node writes of its place and neighbours (``NodeTracer``)."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import tagspace
from smvm import trace
from smvm.node import events as ev


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_records_round_trip_through_a_file_plain_and_gzipped(tmp_path: Path) -> None:
    head = trace.header("daemon", 100.0, node="a", world={"tags": {"a": {"Taxi": True}}})
    records = [trace.from_node_event("a", ev.SMStarted("a/1", "a", 100.5, "tour.py")),
               trace.from_node_event("a", ev.HopCompleted("a/1", "b", 101.0, True, 900, 100.6)),
               trace.position("a", 101.0, 40.5, -74.4, geo=True)]
    writer = trace.TraceWriter(tmp_path / "a.trace.jsonl", head)
    for r in records:
        writer.write(r)
    writer.close()
    got_head, got = trace.read_trace(tmp_path / "a.trace.jsonl")
    assert got_head == head and list(got) == records
    with gzip.open(tmp_path / "a.trace.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write((tmp_path / "a.trace.jsonl").read_text())
    assert list(trace.read_trace(tmp_path / "a.trace.jsonl.gz")[1]) == records
    assert records[1] == {"t": 101.0, "k": "hop", "sm": "a/1", "node": "a", "to": "b",
                          "t0": 100.6, "bytes": 900, "code": True}
    assert records[2]["lat"] == 40.5 and records[2]["lon"] == -74.4


@pytest.mark.parametrize("lines, message", [
    (["not json"], "a.jsonl:1: not JSON"),
    (['{"x": 1}'], "not a trace file"),
    (['{"trace": 99, "source": "sim"}'], "trace format version 99"),
    (['{"trace": 1}', '{"t": 1}'], "a.jsonl:2: not a trace record (needs t and k)"),
    (['{"trace": 1}', '{"t": "soon", "k": "pos"}'], "a.jsonl:2: not a trace record"),
    (['{"trace": 1}', '{"t": 1, "k": "pos"', ], "a.jsonl:2: not JSON"),
])
def test_a_bad_file_is_named_with_its_line(tmp_path: Path, lines, message) -> None:
    path = _write(tmp_path / "a.jsonl", lines)
    with pytest.raises(trace.TraceError) as caught:
        head, records = trace.read_trace(path)
        list(records)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_line_past_the_limit_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.jsonl", ['{"trace": 1}', '{"t": 1, "k": "log", "text": "'
                                         + "x" * (trace.MAX_LINE_CHARS + 10) + '"}'])
    with pytest.raises(trace.TraceError, match="a.jsonl:2: line longer than"):
        list(trace.read_trace(path)[1])
    with pytest.raises(trace.TraceError, match="cannot read"):
        trace.read_trace(tmp_path / "missing.jsonl")


def test_values_are_kept_short() -> None:
    big = list(range(1000))
    record = trace.from_node_event("a", ev.SMFinished("a/1", "a", big, 1.0))
    assert isinstance(record["result"], str) and len(record["result"]) < 400
    small = trace.from_node_event("a", ev.SMFinished("a/1", "a", {"k": (1, 2)}, 1.0))
    assert small["result"] == {"k": [1, 2]}


def test_a_node_writes_its_place_and_neighbours_when_they_change() -> None:
    tracer = trace.NodeTracer("a", period=1.0)
    first = tracer.sample(0.0, (40.0, -74.0), ["c", "b"])
    assert [(r["k"], r["t"]) for r in first] == [("pos", 0.0), ("nbrs", 0.0)]
    assert first[1]["ids"] == ["b", "c"]
    assert tracer.sample(0.5, (41.0, -74.0), ["b"]) == [], "within the period: nothing"
    assert tracer.sample(1.0, (40.0, -74.0), ["b", "c"]) == []
    assert tracer.sample(2.0, (40.0, -74.0), ["b", "c"]) == []
    moved = tracer.sample(3.0, (40.001, -74.0), ["b"])
    # the place it held until the last sample, then the new one: the line
    # the viewer draws between samples stays where the node was
    assert [(r["k"], r["t"], r.get("lat")) for r in moved] == [
        ("pos", 2.0, 40.0), ("pos", 3.0, 40.001), ("nbrs", 3.0, None)]
    gone = tracer.sample(4.0, None, [])
    assert gone[0]["lat"] is None and gone[1]["ids"] == []


def test_tag_writes_show_values_only_everyone_may_read() -> None:
    space = tagspace.TagSpace("n")
    seen = []
    space.add_observer(lambda e: seen.append(trace.observe_tag("n", space, e)))
    sm = tagspace.Principal("n/1", "n/1", "n")
    space.create(space.node_principal, "Taxi", True, access={"others": "r"}, now=0.0)
    space.create(sm, "open", 5, access={"others": "r"}, now=1.0)
    space.create(sm, "closed", 6, access={"owner": "rw"}, now=1.0)
    space.write(sm, "open", 7, now=2.0)
    space.delete(sm, "open", now=3.0)
    shown = [(r["op"], r["name"], r.get("value", "?")) for r in seen if r is not None]
    assert shown == [("create", "open", 5), ("create", "closed", "?"), ("write", "open", 7),
                     ("delete", "open", "?")]
    assert seen[0] is None, "the node's own writes are the driver's to record"
