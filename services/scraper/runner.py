"""Running a crawl in a child process (`python -m services.scraper.crawl`) from the service.

Why a process per crawl: Scrapy wants a Twisted reactor of its own and CPU for
parsing; in the service's event loop it would stall the Kafka consumers' heartbeats
and HTTP probes, leak state from one crawl to the next, and could only be stopped
cooperatively. A child process gets its own reactor and core, can be stopped on
cancellation and killed on timeout, and leaves nothing behind. Its log lines are
passed through to the service's stderr; its report arrives as JSON on stdout.

Stopping a crawl on request is graceful first: SIGTERM makes Scrapy close the spider
(what was stored stays stored, the items in flight are written) and print its report;
a child still running `cancel_grace_seconds` later is killed.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sys
from typing import Any

from pydantic import ValidationError

from services.scraper.crawls import CANCELLED_FINISH_REASON, CrawlReport, CrawlSpec

ERROR_TAIL_LINES = 20
KILL_GRACE_SECONDS = 60.0
STREAM_LINE_LIMIT = 1 << 20

log = logging.getLogger("reos.scraper.runner")


class CrawlRunner:
    def __init__(self, timeout_seconds: float, cancel_grace_seconds: float = 15.0) -> None:
        self.timeout_seconds = timeout_seconds
        self.cancel_grace_seconds = cancel_grace_seconds

    async def run(self, spec: CrawlSpec, stop: asyncio.Event | None = None) -> CrawlReport:
        """The child's report; a report of the failure when the child dies or overruns.

        Setting `stop` stops the crawl (see the module doc)."""
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
        output: asyncio.Future[Any] = asyncio.ensure_future(
            asyncio.gather(child.stdout.read(), _pass_through(child.stderr, tail))
        )
        stopped: asyncio.Future[Any] = asyncio.ensure_future((stop or asyncio.Event()).wait())
        try:
            # Scrapy stops itself at 95 % of the timeout; the grace covers its shutdown.
            await asyncio.wait(
                {output, stopped},
                timeout=self.timeout_seconds + KILL_GRACE_SECONDS,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if stopped.done() and not output.done():
                log.info("stopping crawl process", extra={"pid": child.pid, "job_id": spec.job_id})
                child.terminate()
                await asyncio.wait({output}, timeout=self.cancel_grace_seconds)
            if not output.done():
                await _kill(child)
                await output
                reason = (
                    CANCELLED_FINISH_REASON
                    if stopped.done()
                    else f"killed after {self.timeout_seconds:g} s"
                )
                return CrawlReport(finish_reason=reason, errors=list(tail))
            stdout, _ = output.result()
            await child.wait()
        except asyncio.CancelledError:
            await _kill(child)
            raise
        finally:
            stopped.cancel()
            output.cancel()
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
