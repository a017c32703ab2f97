"""Zeroconf (mDNS/DNS-SD) advertisement of node daemons on a LAN, and the
browser behind ``smvm nodes``. Blocking calls: drivers run them in a thread."""
from __future__ import annotations

import socket
import time
from dataclasses import dataclass

from zeroconf import InterfaceChoice, IPVersion, ServiceBrowser, ServiceInfo, Zeroconf

SERVICE = "_smvm._udp.local."


@dataclass(frozen=True)
class Advertised:
    node_id: str
    name: str
    addresses: tuple[str, ...]
    port: int
    key: str = ""  # fingerprint of the node's public key ("" for an unsigned node)

    def to_json(self) -> dict:
        return {"id": self.node_id, "name": self.name, "addresses": list(self.addresses),
                "port": self.port, "key": self.key}


def _zeroconf(interfaces: list[str] | None) -> Zeroconf:
    return Zeroconf(interfaces=interfaces or InterfaceChoice.All, ip_version=IPVersion.V4Only)


class Advertisement:
    """A node's service record, registered until ``close``."""

    def __init__(self, node_id: str, port: int, addresses: list[str],
                 interfaces: list[str] | None = None, key: str = ""):
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in node_id)[:50] or "node"
        self.info = ServiceInfo(
            SERVICE, f"{safe}.{SERVICE}", port=port, properties={"id": node_id, "key": key},
            addresses=[socket.inet_aton(a) for a in addresses], server=f"smvm-{safe}.local.")
        self.zeroconf = _zeroconf(interfaces)
        self.zeroconf.register_service(self.info, allow_name_change=True)

    def close(self) -> None:
        try:
            self.zeroconf.unregister_service(self.info)
        finally:
            self.zeroconf.close()


def advertise_node(node_id: str, address: tuple[str, int], interfaces: list[str] | None,
                   key: str) -> Advertisement:
    """Advertise the node listening at ``address`` on ``interfaces`` (None:
    the address it is bound to, or every local address when that is the
    wildcard); ``key`` is the fingerprint of its public key ("" unsigned)."""
    host, port = address[:2]
    addresses = interfaces or ([host] if host != "0.0.0.0" else local_addresses())
    return Advertisement(node_id, port, addresses, interfaces, key)


def local_addresses() -> list[str]:
    """This host's IPv4 addresses (the loopback one when it knows of none)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        addresses = sorted({info[4][0] for info in infos})
    except OSError:
        addresses = []
    return addresses or ["127.0.0.1"]


def browse(seconds: float = 2.0, interfaces: list[str] | None = None) -> list[Advertised]:
    """Nodes advertised on the LAN within ``seconds``."""
    found: dict[str, Advertised] = {}
    zc = _zeroconf(interfaces)

    class _Listener:
        def add_service(self, zc_, type_, name):
            info = zc_.get_service_info(type_, name, timeout=1000)
            if info is None:
                return
            props = info.properties or {}
            node_id = (props.get(b"id") or b"").decode("utf-8", "replace") or name
            key = (props.get(b"key") or b"").decode("utf-8", "replace")
            found[name] = Advertised(node_id, name, tuple(info.parsed_addresses()),
                                     info.port or 0, key)

        update_service = add_service

        def remove_service(self, zc_, type_, name):
            found.pop(name, None)

    try:
        ServiceBrowser(zc, SERVICE, _Listener())
        time.sleep(seconds)  # browsing is listening for a while; this is the CLI's wait
    finally:
        zc.close()
    return sorted(found.values(), key=lambda a: a.node_id)
