"""A translated asyncio TCP echo server and its clients, on loopback.

The program below is plain asyncio (``start_server``, ``open_connection``,
``readline``/``write``/``drain``/``close``/``wait_closed``). It is translated
with `desugar.translate` and run in-process under ``asyncio.run``; every client
must get back exactly the lines it sent, in order, the server must see every
connection closed, and the printed summary must equal the native run's.
"""

from __future__ import annotations

import hashlib
import time

import desugar
from support import run, leftover_async

CLIENTS = 5
MESSAGES = 200

ECHO_PROGRAM = f'''
import asyncio
import hashlib

CLIENTS = {CLIENTS}
MESSAGES = {MESSAGES}
stats = {{"opened": 0, "closed": 0, "lines": 0}}


async def handle(reader, writer):
    stats["opened"] += 1
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            stats["lines"] += 1
            writer.write(line)
            await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()
        stats["closed"] += 1


async def client(index, port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sent = [f"client {{index}} message {{n}} {{'x' * (n % 17)}}\\n".encode() for n in range(MESSAGES)]

    async def send():
        for n, line in enumerate(sent):
            writer.write(line)
            if n % 10 == 0:
                await writer.drain()
        await writer.drain()

    sender = asyncio.create_task(send())
    received = []
    for _ in range(MESSAGES):
        received.append(await reader.readline())
    await sender
    writer.close()
    await writer.wait_closed()
    digest = hashlib.sha256(b"".join(received)).hexdigest()
    return index, len(sent), len(received), received == sent, digest


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        results = await asyncio.wait_for(
            asyncio.gather(*(client(i, port) for i in range(CLIENTS))), timeout=10
        )
        for _ in range(1000):
            if stats["closed"] == CLIENTS:
                break
            await asyncio.sleep(0.001)
    await server.wait_closed()
    for index, sent, received, same, digest in results:
        print(f"client {{index}}: sent {{sent}} received {{received}} same {{same}} sha256 {{digest}}")
    print(f"server: opened {{stats['opened']}} closed {{stats['closed']}} lines {{stats['lines']}}")


asyncio.run(main())
'''


def expected_digest(index: int) -> str:
    lines = [f"client {index} message {n} {'x' * (n % 17)}\n".encode() for n in range(MESSAGES)]
    return hashlib.sha256(b"".join(lines)).hexdigest()


def expected_summary() -> str:
    lines = [
        f"client {i}: sent {MESSAGES} received {MESSAGES} same True sha256 {expected_digest(i)}"
        for i in range(CLIENTS)
    ]
    lines.append(f"server: opened {CLIENTS} closed {CLIENTS} lines {CLIENTS * MESSAGES}")
    return "\n".join(lines) + "\n"


def test_echo_program_is_translated() -> None:
    code = desugar.translate(ECHO_PROGRAM, "echo.py")
    assert "_ds_rt" in code and leftover_async(code) == []


def test_translated_echo_server_matches_native() -> None:
    native = run(ECHO_PROGRAM, translated=False, name="echo_native")
    assert native == expected_summary(), native
    start = time.monotonic()
    ours = run(ECHO_PROGRAM, translated=True, name="echo_translated")
    elapsed = time.monotonic() - start
    assert ours == native, f"native:\n{native}\ntranslated:\n{ours}"
    assert elapsed < 5, f"translated echo run took {elapsed:.2f}s"
