"""What the browser tests and the benchmark share: the system Chromium and a free local port."""

from __future__ import annotations

import socket

CHROMIUM = "/usr/bin/chromium"  # Debian's package; a browser never downloads its own build here
# Launch arguments that draw deck.gl maps headless here (STYLE.md); --use-gl=swiftshader breaks WebGL.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-unsafe-swiftshader",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
