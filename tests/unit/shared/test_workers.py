"""How the gateway's supervisor deals connections (`shared.workers`), on real sockets of
this machine: in turn, passing over a worker whose end of its Unix socket is gone, and
over a replacement whose app has not started while another worker is serving."""

from __future__ import annotations

import select
import socket
import threading
import time
from typing import Any, cast

import uvicorn

from shared.workers import HANDOFF_MESSAGE, Worker, Workers, listening_socket


def dealt_connections(replacing: list[bool], gone: set[int], count: int) -> dict[int, list[Any]]:
    """The positions of `count` connections, by the worker each was dealt to, among workers
    `replacing` a dead one or not, those in `gone` having closed their end of their socket."""
    listener = listening_socket("127.0.0.1", 0, backlog=16)
    port = listener.getsockname()[1]
    ends = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in replacing]
    for index in gone:
        ends[index][1].close()
    supervisor = Workers(uvicorn.Config("unused:app", workers=len(replacing)))
    supervisor.workers = [
        Worker(process=cast(Any, None), channel=ours, replacing=flag)
        for (ours, _), flag in zip(ends, replacing, strict=True)
    ]
    dealer = threading.Thread(target=supervisor._deal, args=(listener,), daemon=True)
    dealer.start()
    clients = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    mine = {client.getsockname(): position for position, client in enumerate(clients)}
    dealt: dict[int, list[Any]] = {}
    live = {theirs: index for index, (_, theirs) in enumerate(ends) if index not in gone}
    deadline = time.monotonic() + 5
    while sum(map(len, dealt.values())) < count and time.monotonic() < deadline:
        readable, _, _ = select.select(list(live), [], [], deadline - time.monotonic())
        for theirs in readable:
            message, fds, _, _ = socket.recv_fds(theirs, 1, 1)
            assert message == HANDOFF_MESSAGE and len(fds) == 1
            with socket.socket(fileno=fds[0]) as connection:
                dealt.setdefault(live[theirs], []).append(mine[connection.getpeername()])
    supervisor.stopping.set()
    listener.shutdown(socket.SHUT_RDWR)
    dealer.join(timeout=5)
    assert not dealer.is_alive()
    for client in clients:
        client.close()
    listener.close()
    return dealt


def test_connections_are_dealt_in_turn_and_passed_over_a_worker_that_is_gone() -> None:
    # The first, third and fifth to the first worker; the others, passed over the dead
    # second one, to the third.
    assert dealt_connections([False, False, False], gone={1}, count=6) == {
        0: [0, 2, 4],
        2: [1, 3, 5],
    }


def test_a_replacement_not_started_is_dealt_nothing_while_another_worker_serves() -> None:
    assert dealt_connections([False, True], gone=set(), count=4) == {0: [0, 1, 2, 3]}
    # With none other to take them, they are dealt to it and wait for its start.
    assert dealt_connections([True], gone=set(), count=2) == {0: [0, 1]}
