"""What the benchmark scripts share: timing a call, and naming the machine a table came from."""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def median_seconds(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median wall time of ``repeats`` calls after one warm-up call, and the last result."""
    result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (what a virtual machine reports)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    found = (line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    return next(found, platform.processor() or "unknown CPU")


def machine(versions: str) -> str:
    """A first line for a table: the date, the CPUs and the given versions."""
    return f"{datetime.date.today()}; {os.cpu_count()} CPUs ({cpu_model()}); {versions}"
