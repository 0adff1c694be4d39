"""CPU time as Linux `/proc` counts it: of one process, of the local stack's servers, and of
the whole machine. Benchmarks sample these around a run and divide by the work done: what
a unit of work costs each part, which tells how far the machine can go when every part
shares its cores."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
POSTGRES = "postgres"  # the command name of every PostgreSQL process
KAFKA = "kafka.Kafka"  # the broker's main class, on its Java command line


def _stat_fields(pid: int | str) -> list[str]:
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_seconds(pid: int | str, children: bool = False) -> float:
    """User and system CPU time of a process; with `children`, plus its exited children's."""
    fields = _stat_fields(pid)
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def _command(pid: int | str) -> tuple[str, str]:
    name = Path(f"/proc/{pid}/comm").read_text().strip()
    line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return name, line


def stack_seconds() -> dict[str, float]:
    """CPU time used so far by each of the stack's servers: every PostgreSQL process (the
    postmaster with its exited backends, and the live ones) and the Kafka broker."""
    used = {"postgresql": 0.0, "kafka": 0.0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            name, line = _command(pid)
            if name == POSTGRES:
                # Exited backends are counted in the postmaster, their parent.
                is_postmaster = _command(_stat_fields(pid)[1])[0] != POSTGRES
                used["postgresql"] += process_seconds(pid, children=is_postmaster)
            elif KAFKA in line:
                used["kafka"] += process_seconds(pid)
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue  # the process ended while we looked
    return used


def machine_busy_seconds() -> float:
    """CPU time the machine's cores have spent on anything but idling since boot."""
    # The first line's columns: user nice system idle iowait irq softirq steal ...
    ticks = [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICKS
