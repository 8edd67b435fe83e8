"""A server on loopback that answers any request a byte at a time, status line and
headers included: what defeats a timeout that bounds each read but not the exchange."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: audio/flac\r\nContent-Length: 100000\r\n\r\n"
    + b"fLaC" * 25000
)


@contextmanager
def dripping(every_s: float = 0.3, for_at_most_s: float = 30.0) -> Iterator[str]:
    """``http://127.0.0.1:PORT``; each connection gets ``ANSWER`` a byte per ``every_s``,
    and is given up after ``for_at_most_s`` (the test's own bound)."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            ends = time.monotonic() + for_at_most_s
            for byte in ANSWER:
                if stop.is_set() or time.monotonic() > ends:
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return
                stop.wait(every_s)

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=drip, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
