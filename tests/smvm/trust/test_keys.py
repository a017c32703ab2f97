"""Node keys on disk and the trust file."""
from __future__ import annotations

import os
import stat

import pytest

from smvm.trust import (
    KnownNodes, NodeKey, TrustError, TrustUsageError, fingerprint, format_line, parse_trust_file,
    verify,
)


def test_a_key_is_created_once_with_mode_0600_and_reused(tmp_path) -> None:
    first = NodeKey.load_or_create(tmp_path)
    mode = stat.S_IMODE(os.stat(tmp_path / "node_key.pem").st_mode)
    assert mode == 0o600
    again = NodeKey.load_or_create(tmp_path)
    assert again.public == first.public and again.fingerprint == first.fingerprint
    assert verify(first.public, again.sign(b"m"), b"m")
    assert not verify(first.public, again.sign(b"m"), b"n")


def test_a_key_readable_by_others_or_not_a_key_is_a_usage_error(tmp_path) -> None:
    NodeKey.load_or_create(tmp_path)
    os.chmod(tmp_path / "node_key.pem", 0o644)
    with pytest.raises(TrustUsageError, match="chmod 600"):
        NodeKey.load_or_create(tmp_path)
    (tmp_path / "node_key.pem").write_text("junk")
    os.chmod(tmp_path / "node_key.pem", 0o600)
    with pytest.raises(TrustUsageError, match="not a PEM"):
        NodeKey.load_or_create(tmp_path)


def test_trust_file_round_trip_and_errors_name_the_line(tmp_path) -> None:
    a, b = NodeKey.from_seed(b"a"), NodeKey.from_seed(b"b")
    path = tmp_path / "known"
    path.write_text("# pinned\n" + format_line("A", a.public) + "\n" + format_line("B", b.public))
    assert parse_trust_file(path) == {"A": a.public, "B": b.public}
    path.write_text(format_line("A", a.public) + "B rsa AAAA\nC ed25519 !!!\n")
    with pytest.raises(TrustUsageError) as err:
        parse_trust_file(path)
    assert f"{path}:2" in str(err.value) and f"{path}:3" in str(err.value)
    with pytest.raises(TrustUsageError, match="cannot read"):
        parse_trust_file(tmp_path / "missing")


def test_learned_keys_persist_and_pinned_keys_win(tmp_path) -> None:
    a, m = NodeKey.from_seed(b"a"), NodeKey.from_seed(b"m")
    learned = tmp_path / "learned"
    known = KnownNodes(learned_file=learned)
    assert known.check("A", a.public) is True
    assert known.check("A", a.public) is False
    assert KnownNodes(learned_file=learned).key_of("A") == a.public
    with pytest.raises(TrustError, match="first seen"):
        KnownNodes(learned_file=learned).check("A", m.public)
    pinned = KnownNodes({"A": m.public}, learned_file=learned)
    with pytest.raises(TrustError, match="pinned"):
        pinned.check("A", a.public)
    assert fingerprint(a.public).startswith("SHA256:") and len(fingerprint(a.public)) == 23
