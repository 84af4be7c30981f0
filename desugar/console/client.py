"""The console's side of the socket: find a running program and ask it for snapshots."""

from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import dataclass
from typing import Any

from desugar.console.server import ConsoleError, parse_address, socket_dir

#: Seconds a request may take before the program is taken for gone.
TIMEOUT = 5.0


class ProgramEnded(Exception):
    """The program's console socket is gone: the program ended (or closed its console)."""


class RefusedRequest(Exception):
    """The program answered with an error (a wrong token, no recorder...)."""


@dataclass(frozen=True)
class Program:
    """A running program that serves a console: its pid and what it runs."""

    pid: int
    program: str
    path: str


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_programs() -> list[Program]:
    """This user's programs that serve a console now, by pid; stale sockets are removed."""
    try:
        directory = socket_dir()
    except ConsoleError:
        return []
    programs = []
    for name in sorted(os.listdir(directory)):
        match = re.fullmatch(r"(\d+)\.sock", name)
        if match is None:
            continue
        pid, path = int(match.group(1)), os.path.join(directory, name)
        if not _alive(pid):
            try:
                os.unlink(path)  # its program died without cleaning up
            except OSError:
                pass
            continue
        try:
            with Connection(path) as connection:
                hello = connection.request({"op": "hello"})
        except (ProgramEnded, RefusedRequest):
            continue
        programs.append(Program(pid, str(hello.get("program", "")), path))
    return sorted(programs, key=lambda program: program.pid)


class Connection:
    """One connection to a program's console: ``target`` is a socket path or ``(host, port)``.

    `snapshot` asks for one; every failure to reach the program is
    `ProgramEnded`, an answer that is an error is `RefusedRequest`.
    """

    def __init__(self, target: str | tuple[str, int], token: str | None = None) -> None:
        self.target = target
        self.token = token
        self._socket: socket.socket | None = None
        self._reader: Any = None

    @classmethod
    def to(cls, target: str, token: str | None = None) -> Connection:
        """A connection to ``target``: a PID, a socket's path, or HOST:PORT."""
        if target.isdigit():
            return cls(os.path.join(socket_dir(), f"{int(target)}.sock"), token)
        if os.sep in target or target.endswith(".sock"):
            return cls(target, token)
        return cls(parse_address(target), token)

    def describe(self) -> str:
        if isinstance(self.target, tuple):
            host, port = self.target
            return f"{host}:{port}"
        return self.target

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._socket is not None:
            self._reader.close()
            self._socket.close()
            self._socket = self._reader = None

    def _connect(self) -> None:
        try:
            if isinstance(self.target, tuple):
                sock = socket.create_connection(self.target, timeout=TIMEOUT)
            else:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(TIMEOUT)
                sock.connect(self.target)
        except OSError as error:
            raise ProgramEnded(f"cannot reach {self.describe()}: {error.strerror or error}") from None
        self._socket, self._reader = sock, sock.makefile("rb")

    def request(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send ``request`` (with the token, if any), return the answer (``ok`` checked)."""
        if self._socket is None:
            self._connect()
        assert self._socket is not None
        if self.token is not None:
            request = {**request, "token": self.token}
        try:
            self._socket.sendall(json.dumps(request).encode() + b"\n")
            line = self._reader.readline()
        except OSError as error:
            self.close()
            raise ProgramEnded(f"{self.describe()}: {error.strerror or error}") from None
        if not line:
            self.close()
            raise ProgramEnded(f"{self.describe()} closed the connection")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise RefusedRequest(str(answer.get("error", "refused")))
        return answer

    def hello(self) -> dict[str, Any]:
        return self.request({"op": "hello"})

    def snapshot(self, full: list[int] | bool = False) -> dict[str, Any]:
        """The program's snapshot now, with the poll and scheduled times of the tasks ``full`` names."""
        return self.request({"op": "snapshot", "full": full or []})["snapshot"]
