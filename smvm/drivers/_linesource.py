"""Line sources for NMEA: a byte-stream splitter, a serial port and a TCP stream.

These are the thin I/O parts: they only turn bytes into lines. Receive times
are the caller's business (``pump`` uses a clock given to it).
"""
from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any


class LineSplitter:
    """Sans-I/O: cuts a byte stream into lines (LF or CRLF), bounding their length.

    A line longer than ``max_line`` bytes is cut there and the rest up to the
    next newline dropped, so a stream without newlines cannot grow memory;
    the cut line then fails the NMEA checks downstream.
    """

    def __init__(self, max_line: int = 1024):
        self.max_line = max_line
        self._buf = bytearray()
        self._skipping = False

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            chunk = data[start:] if nl < 0 else data[start:nl]
            if not self._skipping:
                room = self.max_line - len(self._buf)
                self._buf += chunk[:room]
                if len(chunk) > room:
                    out.append(bytes(self._buf))
                    self._buf.clear()
                    self._skipping = True
            if nl < 0:
                return out
            if not self._skipping:
                out.append(bytes(self._buf).rstrip(b"\r"))
                self._buf.clear()
            self._skipping = False
            start = nl + 1

    def flush(self) -> bytes | None:
        """The unterminated last line at end of stream, if any."""
        if not self._buf:
            return None
        line = bytes(self._buf)
        self._buf.clear()
        return line


def read_serial(port: str, baudrate: int = 4800, *, timeout: float = 1.0, max_line: int = 1024,
                stop: Callable[[], bool] | None = None,
                open_port: Callable[..., Any] | None = None) -> Iterator[bytes]:
    """Lines from a serial GPS (pyserial; ``port`` may also be a pyserial URL).

    Runs until ``stop()`` returns True (checked at least every ``timeout``
    seconds) or the caller stops iterating. Blocking: run it in a thread.
    ``open_port(port, baudrate=, timeout=)`` defaults to
    ``serial.serial_for_url``.
    """
    if open_port is None:
        import serial  # pyserial

        open_port = serial.serial_for_url
    splitter = LineSplitter(max_line)
    with open_port(port, baudrate=baudrate, timeout=timeout) as dev:
        while stop is None or not stop():
            data = dev.read(dev.in_waiting or 1)
            if data:
                yield from splitter.feed(data)


def read_tcp(host: str, port: int, *, timeout: float | None = 10.0,
             max_line: int = 1024) -> Iterator[bytes]:
    """Lines from a TCP stream of raw NMEA (a phone app, a network receiver).

    Ends when the peer closes; a silent peer raises ``TimeoutError`` after
    ``timeout`` seconds so the caller can reconnect. Blocking: run it in a
    thread.
    """
    splitter = LineSplitter(max_line)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        while True:
            data = sock.recv(4096)
            if not data:
                break
            yield from splitter.feed(data)
    tail = splitter.flush()
    if tail:
        yield tail


def pump(lines: Iterable[bytes | str], feed: Callable[[bytes | str, float], object],
         clock: Callable[[], float] = time.monotonic) -> int:
    """Feed every line to ``feed(line, clock())``; return the number of lines."""
    n = 0
    for line in lines:
        feed(line, clock())
        n += 1
    return n
