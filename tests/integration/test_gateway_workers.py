"""The gateway as several processes (`REOS_GATEWAY_WORKERS=2`), on the real stack: the
supervisor alone listens and deals connections to the workers in turn, so connections
opened at once are split evenly, `/metrics` counts the requests of both whichever answers
it, a worker that dies is replaced without the counts going back or a connection left
unanswered, and no worker is left serving alone when the supervisor is killed."""

from __future__ import annotations

import re
import signal
import socket
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import psutil
import pytest

from tests.services import ServiceProcess, running_services, worker_processes

pytestmark = pytest.mark.stack

PATH = "/api/health/live"
COUNTED = re.compile(
    r'^reos_gateway_http_requests_total\{method="GET",route="/api/health/live",status="200"\}'
    r" (\S+)$",
    re.MULTILINE,
)


@pytest.fixture(scope="module")
def gateway(stack_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    with running_services(
        ["services.gateway"],
        tmp_path_factory.mktemp("gateway-workers"),
        extra_env={"REOS_GATEWAY_WORKERS": "2"},
    ) as started:
        yield started["gateway"]


def workers(gateway: ServiceProcess) -> list[psutil.Process]:
    return worker_processes(gateway.process.pid)


def listeners(process: psutil.Process, port: int) -> list[psutil._common.pconn]:
    return [
        connection
        for connection in process.net_connections("tcp")
        if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port
    ]


def answered_on_a_connection_of_its_own(gateway: ServiceProcess, stack: ExitStack) -> int:
    """GET PATH on a new connection kept open; the local port of that connection."""
    client = stack.enter_context(socket.create_connection(("127.0.0.1", gateway.port)))
    client.sendall(f"GET {PATH} HTTP/1.1\r\nHost: gateway\r\n\r\n".encode())
    assert client.recv(65536).startswith(b"HTTP/1.1 200")
    return int(client.getsockname()[1])


def serving_worker(processes: list[psutil.Process], client_port: int) -> int:
    for process in processes:
        for connection in process.net_connections("tcp"):
            if connection.raddr and connection.raddr.port == client_port:
                return process.pid
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def counted(gateway: ServiceProcess) -> float:
    found = COUNTED.search(httpx.get(f"{gateway.url}/metrics", timeout=10).text)
    return float(found.group(1)) if found else 0.0


def test_connections_opened_at_once_are_split_evenly_over_the_workers(
    gateway: ServiceProcess,
) -> None:
    processes = workers(gateway)
    assert len(processes) == 2
    assert [listeners(process, gateway.port) for process in processes] == [[], []]
    assert len(listeners(psutil.Process(gateway.process.pid), gateway.port)) == 1
    with ExitStack() as stack:
        clients = [
            stack.enter_context(socket.create_connection(("127.0.0.1", gateway.port)))
            for _ in range(40)
        ]
        for client in clients:
            client.sendall(f"GET {PATH} HTTP/1.1\r\nHost: gateway\r\n\r\n".encode())
        for client in clients:
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
        held = Counter(
            serving_worker(processes, int(client.getsockname()[1])) for client in clients
        )
    # Dealt in turn: 20 each. By a hash of their addresses (a socket per worker), 15 to 25
    # came now and then; on one shared socket, most went to one worker.
    assert sorted(held.values()) == [20, 20], held


def test_two_workers_answer_and_metrics_sum_both(gateway: ServiceProcess) -> None:
    processes = workers(gateway)
    assert len(processes) == 2
    before = counted(gateway)
    served_by: set[int] = set()
    requests = 0
    with ExitStack() as connections:
        while len(served_by) < 2 and requests < 200:
            client_port = answered_on_a_connection_of_its_own(gateway, connections)
            requests += 1
            served_by.add(serving_worker(processes, client_port))
    assert served_by == {process.pid for process in processes}
    # Each scrape is answered by one worker or the other: every one sees both's requests.
    assert [counted(gateway) for _ in range(6)] == [before + requests] * 6


def test_a_killed_worker_is_replaced_and_its_counts_stay(gateway: ServiceProcess) -> None:
    for _ in range(5):
        assert httpx.get(gateway.url + PATH, timeout=10).status_code == 200
    before = counted(gateway)
    originals = workers(gateway)
    victim = originals[0]
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    deadline = time.monotonic() + 30
    while len(workers(gateway)) < 2:
        assert time.monotonic() < deadline, gateway.log_tail()
        time.sleep(0.5)
    assert victim.pid not in {process.pid for process in workers(gateway)}
    # No connection is handed to the dead worker: every one is answered.
    for _ in range(20):
        assert httpx.get(gateway.url + PATH, timeout=10).status_code == 200
    assert counted(gateway) == before + 20
    # Once its app has started, the replacement is dealt connections too.
    processes = workers(gateway)
    [replacement] = [process for process in processes if process not in originals]
    served_by: set[int] = set()
    with ExitStack() as connections:
        while replacement.pid not in served_by:
            assert time.monotonic() < deadline, gateway.log_tail()
            client_port = answered_on_a_connection_of_its_own(gateway, connections)
            served_by.add(serving_worker(processes, client_port))
            time.sleep(0.1)


def test_the_workers_end_when_their_supervisor_is_killed(
    stack_env: dict[str, str], tmp_path: Path
) -> None:
    """No worker is left serving alone: with the supervisor gone, no connection can come."""
    with running_services(
        ["services.gateway"], tmp_path, extra_env={"REOS_GATEWAY_WORKERS": "2"}
    ) as started:
        gateway = started["gateway"]
        processes = workers(gateway)
        assert len(processes) == 2
        gateway.process.kill()
        _, alive = psutil.wait_procs(processes, timeout=30)
        assert alive == [], gateway.log_tail()
