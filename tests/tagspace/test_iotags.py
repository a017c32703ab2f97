"""I/O tags: the node's standard tags, providers, mock sensor and actuator."""
from __future__ import annotations

import pytest

from tagspace import (AccessDenied, BadTagArgument, IOTag, IOTagUnavailable, MockActuator,
                      MockSensor, ReadOnlyTag, StaticValue, TagNameTaken, TagMissing, TagSpace,
                      TagUsageError, TagWritten, diurnal)

from .ts_principals import NEIGHBOUR, OWNER, PEER, ROUTE, STRANGER


def test_standard_io_tags(space):
    assert space.io_names() == ["location", "neighbors", "node_id", "status", "time"]
    assert space.read(STRANGER, "node_id", 0.0) == "node-7"
    assert space.read(STRANGER, "time", 12.5) == 12.5
    assert space.read(STRANGER, "neighbors", 0.0) == []
    assert space.info("time", 0.0).io


def test_location_is_unavailable_until_a_source_is_registered(space):
    assert not space.exists("location", 0.0)
    with pytest.raises(IOTagUnavailable, match="'location'") as info:
        space.read(OWNER, "location", 0.0)
    assert isinstance(info.value, TagMissing)
    space.register_io("location", StaticValue({"lat": 40.5, "lon": -74.4}), replace=True)
    assert space.exists("location", 0.0)
    assert space.read(OWNER, "location", 0.0) == {"lat": 40.5, "lon": -74.4}


def test_status_reports_queue_load_and_tag_memory(space):
    space.status.update(queue_length=3, load=0.25)
    space.create(OWNER, "t", "x" * 100, now=0.0)
    status = space.read(STRANGER, "status", 0.0)
    assert status == {"queue_length": 3, "load": 0.25, "tag_memory_used": space.used_bytes,
                      "tag_memory_free": 100_000 - space.used_bytes, "tags": 1}


def test_set_io_neighbors_and_copies_out(space):
    space.set_io("neighbors", ["node-2", "node-3"], 1.0)
    got = space.read(OWNER, "neighbors", 1.0)
    got.append("intruder")
    assert space.read(OWNER, "neighbors", 1.0) == ["node-2", "node-3"]
    with pytest.raises(BadTagArgument):
        space.set_io("neighbors", [object()], 1.0)
    with pytest.raises(TagUsageError):
        space.set_io("time", 5, 1.0)  # Clock has no set()


@pytest.mark.parametrize("name", ["node_id", "time", "status", "neighbors", "location"])
def test_standard_io_tags_are_read_only(space, name):
    with pytest.raises(ReadOnlyTag, match="read-only I/O tag") as info:
        space.write(OWNER, name, 1, 0.0)
    assert isinstance(info.value, AccessDenied)
    assert info.value.operation == "write"
    with pytest.raises(ReadOnlyTag, match="delete"):
        space.delete(OWNER, name, 0.0)
    with pytest.raises(TagNameTaken, match="I/O tag"):
        space.create(OWNER, name, 1, now=0.0)


def test_mock_sensor_function_is_deterministic(space):
    sensor = MockSensor(function=diurnal(mean=20.0, amplitude=5.0, period=100.0))
    space.register_io("temperature", sensor)
    assert space.read(STRANGER, "temperature", 0.0) == 20.0
    assert space.read(STRANGER, "temperature", 25.0) == 25.0
    assert space.read(STRANGER, "temperature", 75.0) == 15.0
    assert sensor.reads == 3
    with pytest.raises(ReadOnlyTag, match="MockSensor"):
        space.write(OWNER, "temperature", 99, 0.0)


def test_mock_sensor_script(space):
    space.register_io("temperature", MockSensor(script=[(10.0, 21.5), (0.0, 20.0), (20.0, 23.0)]))
    assert space.read(OWNER, "temperature", 0.0) == 20.0
    assert space.read(OWNER, "temperature", 15.0) == 21.5
    assert space.read(OWNER, "temperature", 1e6) == 23.0
    late = MockSensor(script=[(5.0, 1)])
    space.register_io("late", late)
    assert not space.exists("late", 4.0) and space.exists("late", 5.0)
    with pytest.raises(IOTagUnavailable, match="'late'"):
        space.read(OWNER, "late", 4.0)
    with pytest.raises(TagUsageError):
        MockSensor()


def test_mock_actuator_records_writes(space):
    valve = MockActuator(initial=False, accept=lambda v: type(v) is bool)
    space.register_io("water", valve)
    events = []
    space.add_observer(events.append)
    space.write(STRANGER, "water", True, 3.0)
    space.write(OWNER, "water", False, 4.0)
    assert valve.writes == [(3.0, True), (4.0, False)]
    assert space.read(OWNER, "water", 5.0) is False
    with pytest.raises(BadTagArgument, match="refuses"):
        space.write(OWNER, "water", "open", 5.0)
    assert valve.writes[-1] == (4.0, False)
    assert events == [TagWritten("water", "sm-stranger", 3.0, io=True),
                      TagWritten("water", "sm-owner", 4.0, io=True)]
    with pytest.raises(ReadOnlyTag):
        space.delete(OWNER, "water", 5.0)


def test_actuator_restricted_to_a_code_domain(space):
    space.register_io("water", MockActuator(), access={"owner": "", "code": "rw", "others": "r"},
                      code={ROUTE})
    space.write(PEER, "water", 1, 0.0)  # carries ROUTE
    with pytest.raises(AccessDenied) as info:
        space.write(STRANGER, "water", 2, 0.0)
    assert info.value.domain == "others"
    assert space.read(STRANGER, "water", 0.0) == 1


def test_origin_domain_of_io_tags_is_the_node(space):
    local = TagSpace("node-1")  # NEIGHBOUR's family started on node-1
    local.register_io("door", MockActuator(), access={"owner": "", "origin": "rw"})
    local.write(NEIGHBOUR, "door", "open", 0.0)
    with pytest.raises(AccessDenied):
        local.write(PEER, "door", "shut", 0.0)


def test_registration_misuse(space):
    with pytest.raises(TagUsageError, match="already registered"):
        space.register_io("time", StaticValue(1))
    with pytest.raises(TagUsageError, match="read"):
        space.register_io("x", object())
    with pytest.raises(TagUsageError, match="cannot grant 'w'"):
        space.register_io("x", StaticValue(1), access={"others": "rw"})
    space.create(OWNER, "taken", 1, now=0.0)
    with pytest.raises(TagUsageError, match="stored tag"):
        space.register_io("taken", StaticValue(1))
    space.register_io("_internal", StaticValue(1))  # reserved names are for the node
    assert space.read(OWNER, "_internal", 0.0) == 1
    assert space.unregister_io("_internal") and not space.unregister_io("_internal")
    with pytest.raises(TagUsageError):
        space.provider("nope")


def test_provider_returning_non_plain_data_is_a_host_error(space):
    class Broken(IOTag):
        def read(self, now):
            return object()
    space.register_io("broken", Broken())
    with pytest.raises(TagUsageError, match="plain data"):
        space.read(OWNER, "broken", 0.0)


def test_duck_typed_provider_and_bare_space():
    class Counter:
        def __init__(self):
            self.n = 0

        def read(self, now):
            self.n += 1
            return self.n
    bare = TagSpace("n", standard_io=False)
    assert bare.io_names() == []
    bare.register_io("count", Counter())
    assert bare.exists("count", 0.0)
    assert [bare.read(OWNER, "count", 0.0) for _ in range(3)] == [1, 2, 3]
