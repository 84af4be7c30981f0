"""The program's side of the console: snapshots served from a daemon thread.

The protocol is newline-delimited JSON, one request line answered by one
response line, on a connection that stays open for as many as the client asks::

    {"op": "hello"}                      -> {"ok": true, "protocol": 1, "pid": 4242, "program": "app.py"}
    {"op": "snapshot"}                   -> {"ok": true, "snapshot": {...}}
    {"op": "snapshot", "full": [3, 7]}   -> the same, tasks 3 and 7 with their poll and scheduled times
    anything else                        -> {"ok": false, "error": "what was wrong"}

A snapshot is `desugar.trace.Recorder.snapshot`'s; each task's
``poll_times`` and ``scheduled_times`` (up to a thousand numbers each) are
sent only for the tasks named in ``full`` (or all, with ``"full": true``), so
that a table of a thousand tasks twice a second stays small.

Who may ask: the Unix domain socket is ``PID.sock`` in `socket_dir`, a
directory only its owner can enter (0700, refused if anyone else owns it or
can enter it), and the socket itself is 0600. A TCP address is served only
when asked for (``--console-address HOST:PORT``), and then each request must
carry the token printed on stderr (``"token": "..."``): a request without it
is answered with an error and the connection is closed.

The answering threads are daemon threads that hold no lock of the program's,
so they answer while the program's loop is blocked (a ``time.sleep`` in a
task releases the GIL; pure Python code gives it up every few milliseconds).
"""

from __future__ import annotations

import atexit
import hmac
import json
import os
import secrets
import socket
import stat
import sys
import tempfile
import threading
from typing import Any, Callable

#: The protocol's version, in the ``hello`` answer.
PROTOCOL = 1
#: The longest request line read (a request is a few dozen bytes).
MAX_REQUEST = 64 * 1024
#: The per-task fields sent only for the tasks a request names in ``full``.
HEAVY_FIELDS = ("poll_times", "scheduled_times")

Snapshot = dict[str, Any]
Source = Callable[[], "Snapshot | None"]


class ConsoleError(Exception):
    """The console cannot be served (its directory is unsafe, the address is taken...)."""


def socket_dir() -> str:
    """The directory of the console sockets of this user's programs, created 0700 if missing.

    ``$XDG_RUNTIME_DIR/desugar`` when that variable names a directory, else
    ``desugar-UID`` in `tempfile.gettempdir`. A directory that is a symbolic
    link, is not the user's, or that others can enter is refused
    (`ConsoleError`): another user could read or replace the sockets.
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        path = os.path.join(runtime, "desugar")
    else:
        path = os.path.join(tempfile.gettempdir(), f"desugar-{os.getuid()}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as error:
        raise ConsoleError(f"cannot create {path}: {error.strerror}") from None
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise ConsoleError(f"{path} is not a directory; remove it")
    if info.st_uid != os.getuid():
        raise ConsoleError(f"{path} belongs to another user (uid {info.st_uid}); remove it")
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise ConsoleError(
            f"{path} can be entered by other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"run chmod 700 {path}"
        )
    return path


def socket_path(pid: int) -> str:
    """Where the program of process ``pid`` serves its console."""
    return os.path.join(socket_dir(), f"{pid}.sock")


def recorder_snapshot() -> Snapshot | None:
    """The active recorder's snapshot (`desugar.trace.current`), or None when none records."""
    from desugar import trace

    recorder = trace.current()
    return None if recorder is None else recorder.snapshot()


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a pair; ValueError says what is wrong."""
    host, colon, port = address.rpartition(":")
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{address!r} is not HOST:PORT (e.g. 127.0.0.1:6669)")
    return host.strip("[]"), int(port)


class ConsoleServer:
    """Serve ``source``'s snapshots on `socket_path` (and on ``address``, with a token).

    ``program`` names the program in the ``hello`` answer. `start` binds and
    starts the thread; `close` (also run at exit) stops it and removes the socket.
    """

    def __init__(
        self,
        source: Source = recorder_snapshot,
        *,
        program: str = "",
        address: tuple[str, int] | None = None,
        path: str | None = None,
    ) -> None:
        self.source = source
        self.program = program
        self.pid = os.getpid()
        self.path = path
        self.address = address
        self.token: str | None = secrets.token_urlsafe(24) if address is not None else None
        self._listeners: list[tuple[socket.socket, bool]] = []
        self._closed = threading.Event()

    def start(self) -> ConsoleServer:
        """Bind the socket(s) and answer from a daemon thread; ConsoleError if it cannot."""
        if self.path is None:
            self.path = socket_path(self.pid)
        try:
            os.unlink(self.path)  # a previous process of the same pid ended without cleaning up
        except FileNotFoundError:
            pass
        local = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            local.bind(self.path)
            os.chmod(self.path, 0o600)
            local.listen()
        except OSError as error:
            local.close()
            raise ConsoleError(f"cannot serve the console on {self.path}: {error.strerror}") from None
        self._listeners.append((local, False))
        if self.address is not None:
            host, port = self.address
            try:
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                remote = socket.socket(family, socket.SOCK_STREAM)
                remote.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                remote.bind((host, port))
                remote.listen()
            except OSError as error:
                self.close()
                raise ConsoleError(
                    f"cannot serve the console on {host}:{port}: {error.strerror}"
                ) from None
            self.address = remote.getsockname()[:2]
            self._listeners.append((remote, True))
        for listener, needs_token in self._listeners:
            threading.Thread(
                target=self._accept, args=(listener, needs_token), name="desugar-console", daemon=True
            ).start()
        atexit.register(self.close)
        return self

    def close(self) -> None:
        """Stop answering and remove the socket file (idempotent)."""
        if self._closed.is_set():
            return
        self._closed.set()
        for listener, _ in self._listeners:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        if self.path is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass

    def _accept(self, listener: socket.socket, needs_token: bool) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:  # closed
                return
            threading.Thread(
                target=self._serve, args=(connection, needs_token), name="desugar-console", daemon=True
            ).start()

    def _serve(self, connection: socket.socket, needs_token: bool) -> None:
        with connection, connection.makefile("rb") as reader:
            while not self._closed.is_set():
                try:
                    line = reader.readline(MAX_REQUEST + 1)
                except OSError:
                    return
                if not line:
                    return
                if len(line) > MAX_REQUEST:
                    self._send(connection, {"ok": False, "error": "request too long"})
                    return
                answer, keep = self.answer(line, needs_token)
                if not self._send(connection, answer) or not keep:
                    return

    @staticmethod
    def _send(connection: socket.socket, answer: dict[str, Any]) -> bool:
        try:
            connection.sendall(json.dumps(answer, separators=(",", ":")).encode() + b"\n")
        except OSError:
            return False
        return True

    def answer(self, line: bytes, needs_token: bool = False) -> tuple[dict[str, Any], bool]:
        """The response to one request line, and whether the connection stays open."""
        try:
            request = json.loads(line)
        except ValueError:
            return {"ok": False, "error": "a request is one line of JSON"}, False
        if not isinstance(request, dict):
            return {"ok": False, "error": "a request is a JSON object"}, False
        if needs_token:
            token = request.get("token")
            if not isinstance(token, str) or not hmac.compare_digest(
                token.encode(), (self.token or "").encode()
            ):
                return {"ok": False, "error": "wrong or missing token"}, False
        op = request.get("op")
        if op == "hello":
            return {
                "ok": True,
                "protocol": PROTOCOL,
                "pid": self.pid,
                "program": self.program,
            }, True
        if op == "snapshot":
            try:
                snapshot = self.source()
            except Exception as error:  # a bug of the recorder's: say it, keep serving
                return {"ok": False, "error": f"the snapshot failed: {type(error).__name__}: {error}"}, True
            if snapshot is None:
                return {"ok": False, "error": "no recorder is active in the program"}, True
            return {"ok": True, "snapshot": _trimmed(snapshot, request.get("full"))}, True
        return {"ok": False, "error": f"unknown op {op!r} (hello, snapshot)"}, True


def _trimmed(snapshot: Snapshot, full: object) -> Snapshot:
    """``snapshot`` without the heavy fields of the tasks ``full`` does not name."""
    if full is True:
        return snapshot
    keep = set(full) if isinstance(full, list) else set()
    tasks = []
    for task in snapshot.get("tasks", ()):
        if task.get("id") not in keep:
            task = {key: value for key, value in task.items() if key not in HEAVY_FIELDS}
        tasks.append(task)
    return {**snapshot, "tasks": tasks}


def serve(
    program: str, address: str | None = None, source: Source = recorder_snapshot
) -> ConsoleServer:
    """Start the console of this process (``desugar run --console``); where it is goes to stderr."""
    server = ConsoleServer(
        source, program=program, address=None if address is None else parse_address(address)
    ).start()
    print(f"desugar run: console on {server.path} (desugar console {server.pid})", file=sys.stderr)
    if server.address is not None:
        host, port = server.address
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        print(
            f"desugar run: console on {shown}, token {server.token} "
            f"(desugar console {shown} --token {server.token})",
            file=sys.stderr,
        )
    return server

