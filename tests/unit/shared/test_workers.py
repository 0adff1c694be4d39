"""How the gateway's supervisor deals connections (`shared.workers`), on real sockets of
this machine: in turn, passing over a worker whose end of its Unix socket is gone."""

from __future__ import annotations

import socket
import threading
from typing import Any, cast

import uvicorn

from shared.workers import Worker, Workers, listening_socket


def test_connections_are_dealt_in_turn_and_passed_over_a_worker_that_is_gone() -> None:
    listener = listening_socket("127.0.0.1", 0, backlog=16)
    port = listener.getsockname()[1]
    ends = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(3)]
    ends[1][1].close()  # the second worker died
    supervisor = Workers(uvicorn.Config("unused:app", workers=3))
    supervisor.workers = [Worker(process=cast(Any, None), channel=ours) for ours, _ in ends]
    dealer = threading.Thread(target=supervisor._deal, args=(listener,), daemon=True)
    dealer.start()
    clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(6)]

    dealt: dict[int, list[tuple[str, int]]] = {}
    for index in (0, 2):
        theirs = ends[index][1]
        theirs.settimeout(5)
        dealt[index] = []
        for _ in range(3):
            message, fds, _, _ = socket.recv_fds(theirs, 1, 1)
            assert message == b"c" and len(fds) == 1
            with socket.socket(fileno=fds[0]) as connection:
                dealt[index].append(connection.getpeername())

    listener.shutdown(socket.SHUT_RDWR)
    dealer.join(timeout=5)
    assert not dealer.is_alive()
    # In turn: the first, third and fifth to the first worker; the others, passed over
    # the dead one, to the third.
    mine = [client.getsockname() for client in clients]
    assert dealt == {0: mine[0::2], 2: mine[1::2]}
    for client in clients:
        client.close()
    listener.close()
