"""The live console: a running program's task records served on a socket, and a terminal UI.

``desugar run --console app.py`` starts `server.ConsoleServer` in the program:
a daemon thread that answers newline-delimited JSON requests with the
recorder's snapshots (`desugar.trace`), on a Unix domain socket that only the
program's user can open (`server.socket_dir`), and on a TCP address only when
asked, behind a token. ``desugar console [PID|ADDRESS]`` (`command`) attaches
the Textual app (`app`, the optional extra ``desugar[console]``) through
`client.Connection`.
"""

from __future__ import annotations

from desugar.console.client import Connection, ProgramEnded, running_programs
from desugar.console.server import ConsoleServer, socket_dir, socket_path

__all__ = [
    "ConsoleServer",
    "Connection",
    "ProgramEnded",
    "running_programs",
    "socket_dir",
    "socket_path",
]
