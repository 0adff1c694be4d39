"""CPU time as the operating system counts it (psutil): of one process or a process tree,
of the local stack's servers, and of the whole machine. Benchmarks sample these around a
run and divide by the work done: what a unit of work costs each part, which tells how far
the machine can go when every part shares its cores."""

from __future__ import annotations

import psutil

POSTGRES = "postgres"  # the command name of every PostgreSQL process
KAFKA = "kafka.Kafka"  # the broker's main class, on its Java command line


def _own_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def process_seconds(pid: int) -> float:
    """User and system CPU time of one process."""
    return _own_seconds(psutil.Process(pid))


def process_tree_seconds(pid: int) -> float:
    """User and system CPU time of a process and its live descendants (e.g. workers)."""
    process = psutil.Process(pid)
    return sum(_own_seconds(part) for part in (process, *process.children(recursive=True)))


def stack_seconds() -> dict[str, float]:
    """CPU time used so far by each of the stack's servers: every PostgreSQL process (the
    postmaster with its exited backends, and the live ones) and the Kafka broker."""
    used = {"postgresql": 0.0, "kafka": 0.0}
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            if process.info["name"] == POSTGRES:
                used["postgresql"] += _own_seconds(process)
                parent = process.parent()
                if parent is None or parent.name() != POSTGRES:
                    # The postmaster: its exited backends' time is counted as its children's.
                    times = process.cpu_times()
                    used["postgresql"] += times.children_user + times.children_system
            elif KAFKA in " ".join(process.info["cmdline"] or ()):
                used["kafka"] += _own_seconds(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # the process ended while we looked
    return used


def machine_busy_seconds() -> float:
    """CPU time the machine's cores have spent on anything but idling since boot."""
    times = psutil.cpu_times()
    # Guest time is already part of user time; idle and I/O wait are idling.
    return times.user + times.nice + times.system + times.irq + times.softirq + times.steal
