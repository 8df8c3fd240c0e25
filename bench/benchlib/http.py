"""A small asyncio HTTP/1.1 client (the venv has no requests or httpx, and nothing is added for
a benchmark) and the two ways the benchmarks load a server with it: a closed loop (``run_phase``,
N clients with no think time) and an open loop (``run_paced``, items due at a fixed rate)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

USER_AGENT = "participa-bench/1.0"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
IDLE_REOPEN = 1.0  # seconds; gunicorn closes keep-alive connections idle for 2 s (its default)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Connection:
    """One keep-alive connection to 127.0.0.1:port. Requests on it are sequential."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, *, form: dict[str, Any] | None = None, cookies: dict[str, str] | None = None
    ) -> Response:
        if self.writer is not None and time.monotonic() - self.last_used > IDLE_REOPEN:
            await self.close()  # gunicorn may have closed it (keep-alive timeout): never resend a POST
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        body = urlencode(form).encode() if form is not None else b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            f"User-Agent: {USER_AGENT}",
            "Accept: text/html",
            "Accept-Language: es-CL",
        ]
        if cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        if form is not None:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in header_lines if line)]
        found = dict(headers)
        if found.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            data = b"".join(c[:-2] for c in chunks)
        elif "content-length" in found:
            data = await self.reader.readexactly(int(found["content-length"]))
        else:
            data = await self.reader.read()
            await self.close()
        if found.get("connection", "").lower() == "close":
            await self.close()
        self.last_used = time.monotonic()
        return Response(status, headers, data)


def update_cookies(jar: dict[str, str], response: Response) -> None:
    for name, value in response.headers:
        if name != "set-cookie":
            continue
        pair, _, attributes = value.partition(";")
        key, _, val = pair.strip().partition("=")
        low = attributes.lower()
        if not val or "expires=thu, 01 jan 1970" in low or "max-age=0" in low:
            jar.pop(key, None)
        else:
            jar[key] = val


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1) or match.group(2)


@dataclass
class PhaseResult:
    wall: float
    latencies: list[float]  # seconds, of the measured request of each successful item
    ok: int
    failures: dict[str, int]
    done: int
    skipped: int

    def rate(self) -> float:
        return self.ok / self.wall if self.wall else 0.0


async def run_phase(
    items: Iterable[Any],
    concurrency: int,
    port: int,
    job: Callable[[Connection, Any], Awaitable[float | None]],
    time_limit: float,
) -> PhaseResult:
    """Run ``job`` over ``items`` with ``concurrency`` clients, each on its own connection. A job
    returns the latency of its measured request when it succeeded, or raises/returns None."""
    queue = deque(items)
    total = len(queue)
    latencies: list[float] = []
    failures: dict[str, int] = {}
    deadline = time.monotonic() + time_limit
    done = 0

    async def client() -> None:
        nonlocal done
        connection = Connection(port)
        try:
            while queue and time.monotonic() < deadline:
                item = queue.popleft()
                try:
                    latency = await asyncio.wait_for(job(connection, item), timeout=60)
                except Exception as error:  # counted and reported; the connection is reopened
                    key = type(error).__name__ + (f": {error}" if isinstance(error, Failure) else "")
                    failures[key] = failures.get(key, 0) + 1
                    await connection.close()
                else:
                    if latency is not None:
                        latencies.append(latency)
                done += 1
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(min(concurrency, total) or 1)))
    wall = time.perf_counter() - started
    return PhaseResult(wall, latencies, len(latencies), failures, done, total - done)


class Failure(Exception):
    """An unexpected answer from the server."""


async def run_paced(
    items: Iterable[Any],
    rate: float,
    max_in_flight: int,
    port: int,
    job: Callable[[Connection, Any], Awaitable[float | None]],
    time_limit: float,
) -> PhaseResult:
    """Open loop: item i is due at start + i / rate, whatever happened before. Latency runs from
    the due time (waiting for a free connection counts: no coordinated omission)."""
    items = list(items)
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(max_in_flight):
        pool.put_nowait(Connection(port))
    latencies: list[float] = []
    failures: dict[str, int] = {}
    done = 0
    started = time.perf_counter()

    async def one(i: int, item: Any) -> None:
        nonlocal done
        due = started + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if time.perf_counter() - started > time_limit:
            return
        conn = await pool.get()
        try:
            ok = await asyncio.wait_for(job(conn, item), timeout=60)
        except Exception as error:
            key = type(error).__name__ + (f": {error}" if isinstance(error, Failure) else "")
            failures[key] = failures.get(key, 0) + 1
            await conn.close()
        else:
            if ok is not None:
                latencies.append(time.perf_counter() - due)
        finally:
            pool.put_nowait(conn)
            done += 1

    await asyncio.gather(*(one(i, item) for i, item in enumerate(items)))
    wall = time.perf_counter() - started
    while not pool.empty():
        await pool.get_nowait().close()
    return PhaseResult(wall, latencies, len(latencies), failures, done, len(items) - done)


def failures_text(result: PhaseResult) -> str:
    parts = [f"{n} x {k}" for k, n in sorted(result.failures.items())]
    unready = result.done - result.ok - sum(result.failures.values())
    if unready:
        parts.append(f"{unready} skipped (an earlier step failed for them)")
    if result.skipped:
        parts.append(f"{result.skipped} not attempted (time limit)")
    return "; ".join(parts) if parts else "none"
