"""The scapy dissector: a pcap of real frames reads back as frames."""
from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

scapy_all = pytest.importorskip("scapy.all")

import smvm
from smvm.wire import (
    DEFAULT_PORT,
    FRAGMENT_MARKER,
    Reassembler,
    Transfer,
    decode,
    encode,
    VERSION,
    fragment,
)
from smvm.wire.scapy_layer import KIND_NAMES, SMVMFrame

from ._samples import HOP, IDENTITY, SRC_B, brick, sample_frames

IP, UDP, Raw = scapy_all.IP, scapy_all.UDP, scapy_all.Raw


def udp(payload: bytes, sport: int = DEFAULT_PORT, dport: int = DEFAULT_PORT):
    return IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=sport, dport=dport) / Raw(payload)


def test_pcap_of_real_frames_dissects(tmp_path):
    frames = sample_frames()
    big = Transfer(HOP, "sm42", IDENTITY, random.Random(7).randbytes(5000),  # incompressible
                   ((brick(SRC_B), SRC_B),), b"")
    big_parts = fragment(encode(big), 77)
    assert len(big_parts) > 1
    packets = [udp(encode(f)) for f in frames]
    packets.append(udp(encode(frames[0]), sport=50000))              # bound on dport alone
    packets.append(udp(encode(frames[0]), dport=50000))              # ... and on sport alone
    packets += [udp(p) for p in big_parts]
    path = tmp_path / "smvm.pcap"
    scapy_all.wrpcap(str(path), packets)

    read = scapy_all.rdpcap(str(path))
    assert len(read) == len(packets)
    layers = [p[SMVMFrame] for p in read]
    whole = layers[:len(frames) + 2]
    for layer, frame in zip(whole, frames + [frames[0], frames[0]]):
        assert layer.version == VERSION
        assert layer.kind == frame.KIND
        assert layer.sprintf("%SMVMFrame.kind%") == type(frame).__name__
        assert layer.frame() == frame
        assert layer.mysummary().startswith(f"SMVM v{VERSION} {type(frame).__name__} ")
    offer = whole[2]
    assert "sm=sm42" in offer.mysummary() and "fuel=10000" in offer.mysummary()
    beacon = whole[0]
    assert "node=node-a" in beacon.mysummary() and "seq=17" in beacon.mysummary()

    reassembler = Reassembler()
    out = None
    for i, layer in enumerate(layers[len(frames) + 2:]):
        assert layer.head == FRAGMENT_MARKER
        assert (layer.msg_id, layer.index, layer.count) == (77, i, len(big_parts))
        assert "fragment msg=77" in layer.mysummary()
        assert layer.frame() is None
        out = reassembler.feed(layer.message(), "10.0.0.1", 0.0) or out
    assert decode(out) == big


def test_other_ports_are_not_dissected():
    pkt = IP(bytes(udp(encode(sample_frames()[0]), sport=1000, dport=2000)))
    assert SMVMFrame not in pkt


def test_malformed_payload_is_summarised_not_raised():
    pkt = IP(bytes(udp(b"\x01\x93\x63garbage")))
    assert pkt[SMVMFrame].kind == 0x63
    assert "malformed" in pkt[SMVMFrame].mysummary()
    assert pkt[SMVMFrame].frame() is None


def test_kind_names_cover_every_frame():
    assert sorted(KIND_NAMES.values()) == sorted(type(f).__name__ for f in {
        type(f): f for f in sample_frames()}.values())


def test_wire_package_does_not_import_scapy():
    code = "import sys, smvm.wire; assert not any(m.startswith('scapy') for m in sys.modules)"
    root = Path(smvm.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)
