"""Several uvicorn processes serving one port, each listening on a socket of its own.

uvicorn's own workers share one listening socket, and the first of them to wake accepts
every connection waiting: twenty connections opened at once were split 17 to 3, 15 to 5
or 20 to 0 between two workers, one worker queueing most requests while the other's core
idled. Here each worker listens on its own socket of a SO_REUSEPORT group, and the kernel
spreads new connections over the group's sockets (by a hash of their addresses).

`Workers` starts `config.workers` processes, replaces any that dies or stops answering
(a new socket in the group: a dead worker's socket leaves the group with it, taking only
the connections it had not yet accepted) and stops them all on SIGINT or SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

log = logging.getLogger("reos.workers")

CHECK_SECONDS = 0.5
"""How often the supervisor checks that every worker answers."""


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A socket listening on (host, port) in the SO_REUSEPORT group of that address."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind((host, port))
    listener.listen(backlog)
    return listener


class Workers:
    """The worker processes of `config` (an app given by import path), each with its own
    listening socket."""

    def __init__(self, config: uvicorn.Config) -> None:
        self.config = config
        self.processes: list[Process] = []
        self.stopping = threading.Event()
        self.start_failed = False

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM, or until a worker cannot start (then exit with
        uvicorn's code for it). Raises OSError, with no worker started, when the address
        cannot be listened on."""
        listeners = [self._listener() for _ in range(self.config.workers)]
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, lambda *_: self.stopping.set())
        self.processes = [self._started(listener) for listener in listeners]
        while not self.stopping.wait(CHECK_SECONDS):
            self._replace_the_dead()
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join()
        if self.start_failed:
            raise SystemExit(STARTUP_FAILURE)

    def _listener(self) -> socket.socket:
        return listening_socket(self.config.host, self.config.port, self.config.backlog)

    def _started(self, listener: socket.socket) -> Process:
        process = Process(self.config, [listener])
        process.start()
        # The worker has its copy: with none left here, its socket leaves the group when
        # it dies, instead of queueing connections that no process would accept.
        listener.close()
        return process

    def _replace_the_dead(self) -> None:
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                # It failed before serving: its replacement would fail the same way.
                log.error("a worker could not start; stopping", extra={"pid": process.pid})
                self.start_failed = True
                self.stopping.set()
                return
            if self.stopping.is_set():
                return
            log.warning("a worker died; starting another", extra={"pid": process.pid})
            try:
                self.processes[index] = self._started(self._listener())
            except OSError as error:
                log.error(
                    "cannot listen for a new worker; trying again", extra={"error": str(error)}
                )
