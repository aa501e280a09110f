"""CPU time spent by the processes of a benchmark, per part: a measure that holds on a shared,
noisy machine where wall-clock rates do not (another process taking a core halves a rate, not
the CPU each message costs)."""

from __future__ import annotations

from pathlib import Path

import psutil


def tree_seconds(pid: int) -> float:
    """CPU seconds of a process and its descendants, including those already reaped."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def own_seconds() -> float:
    """This process's CPU, without its children's (the fake Graph API and the polling)."""
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def postmaster_pid(pgdata: Path) -> int:
    return int((pgdata / "postmaster.pid").read_text().split()[0])


class CpuMeter:
    """CPU seconds per part between `start()` and `stop()`."""

    def __init__(self, parts: dict[str, list[int]], include_self: bool = True) -> None:
        self.parts = parts
        self.include_self = include_self
        self._start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        now = {name: sum(tree_seconds(pid) for pid in pids) for name, pids in self.parts.items()}
        if self.include_self:
            now["graph_fake_and_bench"] = own_seconds()
        return now

    def start(self) -> None:
        self._start = self._now()

    def per_message_ms(self, messages: int) -> dict[str, float]:
        end = self._now()
        used = {name: end[name] - self._start.get(name, 0.0) for name in end}
        result = {name: round(1000 * seconds / messages, 2) for name, seconds in used.items()}
        result["total"] = round(1000 * sum(used.values()) / messages, 2)
        return result
