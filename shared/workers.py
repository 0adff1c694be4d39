"""Several uvicorn processes serving one port, its connections dealt to them in turn.

uvicorn's own workers share one listening socket, and the first of them to wake accepts
every connection waiting: twenty connections opened at once were split 17 to 3, 15 to 5
or 20 to 0 between two workers, one worker queueing most requests while the other's core
idled. A socket per worker in a SO_REUSEPORT group spread them by a hash of their
addresses, which still split twenty 15 to 5 now and then. Here the supervisor accepts
every connection itself and hands it to the workers in turn, over a Unix socket to each
(`SCM_RIGHTS`): twenty connections opened at once are split 10 to 10, and those that
replace closed ones keep the split even (a worker holding more loses more of them to
closes, and gets as many new ones as the other). A proxy or a client holding a few
long-lived connections is what makes the split matter; accepting and handing one over
costs the supervisor about 20 us of CPU.

`Workers` starts `config.workers` processes, replaces any that dies or stops answering
(a connection is handed to the next worker when one cannot take it, and a replacement is
dealt connections once its app has started) and stops them all on SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
import time
from dataclasses import dataclass
from functools import partial

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

log = logging.getLogger("reos.workers")

CHECK_SECONDS = 0.5
"""How often the supervisor checks that every worker answers."""

HANDOFF_SECONDS = 1.0
"""How long handing a connection to a worker may wait before the next worker is tried."""

HANDOFF_MESSAGE = b"c"
"""The byte a hand-off carries beside the connection's descriptor (a message without one
is the channel's end)."""

ACCEPT_RETRY_SECONDS = 0.1
"""How long the supervisor waits after a failed accept() before the next."""


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A socket listening on (host, port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(backlog)
    return listener


class HandedConnectionsServer(uvicorn.Server):
    """A uvicorn server that listens on nothing: it serves the connections that arrive on
    its channel from the supervisor, and ends when the supervisor closes the channel."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel
        self.handing: set[asyncio.Task[None]] = set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])
        # uvicorn's HTTP protocols take these (typed as asyncio.Protocol, which does not).
        self.protocol = partial(
            self.config.http_protocol_class,  # type: ignore[call-arg]
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
        )
        loop = asyncio.get_running_loop()
        self.channel.setblocking(False)
        loop.add_reader(self.channel.fileno(), self._take_connections, loop)

    def _take_connections(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(self.channel, 1, 8)
            except BlockingIOError:
                return
            except OSError:
                message, fds = b"", []
            if not message and not fds:
                # The supervisor is gone: no connection will come; end as on SIGTERM.
                loop.remove_reader(self.channel.fileno())
                self.should_exit = True
                return
            for fd in fds:
                task = loop.create_task(self._serve_connection(loop, socket.socket(fileno=fd)))
                self.handing.add(task)
                task.add_done_callback(self.handing.discard)

    async def _serve_connection(
        self, loop: asyncio.AbstractEventLoop, connection: socket.socket
    ) -> None:
        try:
            await loop.connect_accepted_socket(self.protocol, connection)
        except OSError:
            connection.close()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.channel.fileno() != -1:
            asyncio.get_running_loop().remove_reader(self.channel.fileno())
        await super().shutdown(sockets=[self.channel])


class HandedConnectionsProcess(Process):
    """A uvicorn worker process serving the connections handed to it on `channel`."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config, [channel])

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # pragma: no cover
        [channel] = sockets or []
        self._server = HandedConnectionsServer(self.config, channel)
        super().target(sockets=None)


@dataclass
class Worker:
    process: HandedConnectionsProcess
    channel: socket.socket
    """The supervisor's end of the worker's Unix socket."""
    replacing: bool = False
    """It replaces a worker that died and its app has not started yet: while another
    worker is not in that state, it is dealt nothing (its first connections would wait
    for its start). The workers started with the gateway are dealt connections at once;
    those wait in their sockets until they start, as in a listening socket's queue."""


class Workers:
    """The worker processes of `config` (an app given by import path) and the supervisor's
    listening socket, whose connections it deals to them."""

    def __init__(self, config: uvicorn.Config) -> None:
        self.config = config
        self.workers: list[Worker] = []
        self.stopping = threading.Event()
        self.start_failed = False

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM, or until a worker cannot start (then exit with
        uvicorn's code for it). Raises OSError, with no worker started, when the address
        cannot be listened on."""
        listener = listening_socket(self.config.host, self.config.port, self.config.backlog)
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, lambda *_: self.stopping.set())
        self.workers = [self._started() for _ in range(self.config.workers)]
        dealer = threading.Thread(target=self._deal, args=(listener,), daemon=True)
        dealer.start()
        while not self.stopping.wait(CHECK_SECONDS):
            self._check_workers()
        # Wakes the dealer blocked in accept() (closing alone would not, on Linux).
        listener.shutdown(socket.SHUT_RDWR)
        dealer.join()
        listener.close()
        for worker in self.workers:
            worker.process.terminate()
        for worker in self.workers:
            worker.process.join()
            worker.channel.close()
        if self.start_failed:
            raise SystemExit(STARTUP_FAILURE)

    def _started(self, replacing: bool = False) -> Worker:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.settimeout(HANDOFF_SECONDS)
        process = HandedConnectionsProcess(self.config, theirs)
        process.start()
        # The worker has its copy: with none left here, a hand-off to it fails at once once
        # it is dead.
        theirs.close()
        return Worker(process, ours, replacing)

    def _deal(self, listener: socket.socket) -> None:
        """Accepts every connection and hands it to the next worker that takes it."""
        turn = 0
        while True:
            try:
                connection, _ = listener.accept()
            except OSError as error:
                if self.stopping.is_set():
                    return
                # Out of file descriptors, say: the connections open now will close.
                log.error("cannot accept a connection", extra={"error": str(error)})
                time.sleep(ACCEPT_RETRY_SECONDS)
                continue
            with connection:
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                dealt = [worker for worker in self.workers if not worker.replacing] or self.workers
                for _ in range(len(dealt)):
                    worker = dealt[turn % len(dealt)]
                    turn += 1
                    try:
                        socket.send_fds(worker.channel, [HANDOFF_MESSAGE], [connection.fileno()])
                        break
                    except OSError:
                        continue
                # The worker has its copy; a connection no worker took is closed here.

    def _check_workers(self) -> None:
        timeout = self.config.timeout_worker_healthcheck
        for index, worker in enumerate(self.workers):
            process = worker.process
            if process.is_alive(timeout=timeout):
                if worker.replacing:
                    worker.replacing = not process.is_ready(timeout=timeout)
                continue
            process.kill()
            process.join()
            worker.channel.close()
            if process.exitcode == STARTUP_FAILURE:
                # It failed before serving: its replacement would fail the same way.
                log.error("a worker could not start; stopping", extra={"pid": process.pid})
                self.start_failed = True
                self.stopping.set()
                return
            if self.stopping.is_set():
                return
            log.warning("a worker died; starting another", extra={"pid": process.pid})
            self.workers[index] = self._started(replacing=True)
