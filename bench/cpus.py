"""Where the benchmarks' processes run and what they use: CPU pinning and /proc figures.

The load generator and the server on the same two cores fight for them, and then the figures
measure the fight. The benchmarks pin the server's processes to some CPUs and the load
generator to the others, and read each side's CPU time and memory from /proc.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (the uvicorn workers), from /proc."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            pending.extend(int(child) for child in children)
    return found


def rss_kb(pid: int) -> int:
    """Resident memory of a process and all its children (the uvicorn workers)."""
    total = 0
    for current in process_tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        except (OSError, AttributeError):
            continue
    return total


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (all their threads), from /proc/PID/stat."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may hold spaces: count the fields after its ")".
        fields = stat.rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def parse_cpus(spec: str) -> set[int]:
    """ "0", "0,2" or "0-3" as a set of CPU numbers."""
    cpus: set[int] = set()
    for part in spec.split(","):
        low, _dash, high = part.strip().partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def split_cpus(server: str | None, client: str | None) -> tuple[set[int], set[int]]:
    """The CPUs for the server and for the load generator: by default the first CPU this
    process may use for the server and the others for the load generator."""
    allowed = sorted(os.sched_getaffinity(0))
    server_cpus = parse_cpus(server) if server else {allowed[0]}
    client_cpus = parse_cpus(client) if client else (set(allowed) - server_cpus or server_cpus)
    missing = (server_cpus | client_cpus) - set(allowed)
    if missing:
        raise ValueError(f"CPUs {sorted(missing)} are not among this process's {allowed}")
    return server_cpus, client_cpus


def add_options(parser: argparse.ArgumentParser, *, server: str, client: str) -> None:
    """``--server-cpus`` and ``--client-cpus``; ``server`` and ``client`` say what runs where."""
    parser.add_argument(
        "--server-cpus", help=f"CPUs for {server}, e.g. 0 or 0-1 (default: the first allowed)"
    )
    parser.add_argument(
        "--client-cpus", help=f"CPUs for {client} (default: the other allowed ones)"
    )


def pin(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Set ``args.server_cpu_set`` and ``args.client_cpu_set`` from the options and pin this
    process to the client CPUs (the processes it starts later inherit them). A bad option is
    the parser's error."""
    try:
        args.server_cpu_set, args.client_cpu_set = split_cpus(args.server_cpus, args.client_cpus)
        os.sched_setaffinity(0, args.client_cpu_set)
    except (ValueError, OSError) as error:
        parser.error(f"--server-cpus/--client-cpus: {error}")
