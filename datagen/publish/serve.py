"""``make serve``: the built site over HTTP, for this machine only.

Owns serving ``_build/html``: on 127.0.0.1 unless another address is
given (``--host``; ``0.0.0.0`` lets other machines read the book), and
never a listing of a folder (a folder without ``index.html`` is a 404).
The standard library only, so any ``python3`` serves a built site; with
``--from-env`` the host and port come from ``DATAGEN_HOST`` and
``DATAGEN_PORT``, as the Makefile passes them.
"""

from __future__ import annotations

import argparse
import functools
import os
import socket
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class SiteHandler(SimpleHTTPRequestHandler):
    """Files of the site; a folder only through its ``index.html``."""

    def list_directory(self, path):
        self.send_error(404, "Not found")
        return None


def server(directory: Path, host: str = DEFAULT_HOST,
           port: int = DEFAULT_PORT,
           handler: type[SiteHandler] = SiteHandler) -> ThreadingHTTPServer:
    """A server of ``directory`` bound to ``host``:``port`` (0: any free
    port), not yet serving."""
    class Server(ThreadingHTTPServer):
        address_family = (socket.AF_INET6 if ":" in host
                          else socket.AF_INET)
    handler = functools.partial(handler, directory=str(directory))
    return Server((host, port), handler)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datagen.publish.serve",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--directory", default="_build/html")
    parser.add_argument("--host", default=None,
                        help=f"the address to listen on (default: "
                        f"{DEFAULT_HOST}, this machine only)")
    parser.add_argument("--port", default=None,
                        help=f"(default: {DEFAULT_PORT})")
    parser.add_argument("--from-env", action="store_true",
                        help="host and port from DATAGEN_HOST, DATAGEN_PORT")
    args = parser.parse_args(argv)
    env = os.environ if args.from_env else {}
    host = args.host or env.get("DATAGEN_HOST") or DEFAULT_HOST
    port = args.port or env.get("DATAGEN_PORT") or str(DEFAULT_PORT)
    if not (port.isascii() and port.isdigit() and int(port) <= 65535):
        return _fail(f"port must be a whole number from 0 to 65535 (got "
                     f"{port[:20]!r})")
    directory = Path(args.directory)
    if not (directory / "index.html").is_file():
        return _fail(f"no site in {directory}: build it first (make book)")
    try:
        httpd = server(directory, host, int(port))
    except (OSError, OverflowError, UnicodeError) as error:
        return _fail(f"cannot listen on {host[:60]!r} port {port}: "
                     f"{getattr(error, 'strerror', None) or error}")
    bound_host, bound_port = httpd.server_address[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    print(f"serving {directory} on http://{shown}:{bound_port}/ "
          "(Ctrl-C stops)", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
