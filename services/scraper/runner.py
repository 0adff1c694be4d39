"""Running a crawl in a child process (`python -m services.scraper.crawl`) from the service.

Why a process per crawl: Scrapy wants a Twisted reactor of its own and CPU for
parsing; in the service's event loop it would stall the Kafka consumers' heartbeats
and HTTP probes, leak state from one crawl to the next, and could only be stopped
cooperatively. A child process gets its own reactor and core, can be killed on
timeout (and, later, on cancellation) and leaves nothing behind. Its log lines are
passed through to the service's stderr; its report arrives as JSON on stdout.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sys

from pydantic import ValidationError

from services.scraper.crawls import CrawlReport, CrawlSpec

ERROR_TAIL_LINES = 20
KILL_GRACE_SECONDS = 60.0
STREAM_LINE_LIMIT = 1 << 20

log = logging.getLogger("reos.scraper.runner")


class CrawlRunner:
    def __init__(self, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds

    async def run(self, spec: CrawlSpec) -> CrawlReport:
        """The child's report; a report of the failure when the child dies or overruns."""
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.scraper.crawl",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            limit=STREAM_LINE_LIMIT,
        )
        assert child.stdin is not None and child.stdout is not None and child.stderr is not None
        child.stdin.write(spec.model_dump_json().encode())
        child.stdin.close()
        tail: collections.deque[str] = collections.deque(maxlen=ERROR_TAIL_LINES)
        try:
            # Scrapy stops itself at 95 % of the timeout; the grace covers its shutdown.
            stdout, _ = await asyncio.wait_for(
                asyncio.gather(child.stdout.read(), _pass_through(child.stderr, tail)),
                self.timeout_seconds + KILL_GRACE_SECONDS,
            )
            await child.wait()
        except TimeoutError:
            await _kill(child)
            return CrawlReport(
                finish_reason=f"killed after {self.timeout_seconds:g} s", errors=list(tail)
            )
        except asyncio.CancelledError:
            await _kill(child)
            raise
        return _report(stdout, child.returncode, tail)


def _report(stdout: bytes, returncode: int | None, tail: collections.deque[str]) -> CrawlReport:
    lines = stdout.decode(errors="replace").strip().splitlines()
    if returncode == 0 and lines:
        try:
            return CrawlReport.model_validate_json(lines[-1])
        except ValidationError:
            pass
    return CrawlReport(
        finish_reason=f"crawl process exited with code {returncode} without a report",
        errors=list(tail),
    )


async def _pass_through(stream: asyncio.StreamReader, tail: collections.deque[str]) -> None:
    async for raw in stream:
        line = raw.decode(errors="replace")
        sys.stderr.write(line)
        tail.append(line.rstrip())


async def _kill(child: asyncio.subprocess.Process) -> None:
    if child.returncode is None:
        log.error("killing crawl process", extra={"pid": child.pid})
        child.kill()
        await child.wait()
