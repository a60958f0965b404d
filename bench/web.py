"""Load-test the web app under gunicorn on the Leicester pack with wrk, against a named baseline.

Run ``.venv/bin/python bench/web.py`` from anywhere (about 5 minutes with the defaults; needs
``wrk``, which ``scripts/setup.sh`` installs). Steps:

1. load the data pack (``ASSETMAP_DATA_PACK``, default ``../shared/data/leicester``) into a fresh
   SQLite file in a temporary directory with ``python -m assetmap load-pack``;
2. for each server in turn, start it on 127.0.0.1 and a free port with that database, wait for
   ``/api/health``, and for each endpoint run wrk (2 threads, 20 connections, 15 s, ``--latency``)
   after a 2 s warm-up run that is not counted (it fills each worker's coverage cache);
3. print one table: requests/s, p50, p95 and p99 latency (from a wrk Lua ``done`` callback written
   to the temporary directory), socket errors (connect, read, write, timeout) and responses with
   status >= 400, as wrk counts them; then the targets for each gunicorn server, MET or NOT MET.

The app caches each response of ``/api/assets`` and ``/api/wards`` per store revision and URL
(``assetmap/web/cache.py``, 64 responses per worker), so the fixed bbox is served from that cache
after the warm-up. ``api bbox rotating`` shows the path that cache cannot answer: a wrk Lua
``request`` callback cycles through :data:`ROTATING_BBOXES` distinct bboxes of the same size
around central Leicester, more than a worker's cache holds, so every request misses it. Each
such request queries the store for the ids in its box and assembles the body from each asset's
encoded GeoJSON feature, which a worker also caches per revision (up to 32 MB); the warm-up fills
that cache for the assets in these boxes, so the run measures it warm. A request whose features
are not cached (the first after a write, say) reads and encodes them: about as slow as before
that cache (see ``docs/performance.md``).

Servers: ``sync`` (gunicorn, 2 sync workers), ``gthread`` (gunicorn, 2 workers x 4 threads) and
the baseline ``flask-dev`` (Flask's development server, one process, ``--without-threads``).
Endpoints: the city page ``/``, a ward page, ``/api/assets`` with a bbox, ``/api/wards``, and a
static file (``/vendor/leaflet.css``, the floor: what the server costs with no app work).

The servers and the temporary directory are removed at the end, also on error, Ctrl-C or SIGTERM.
Nothing listens beyond loopback.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from timing import cpu_model

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
WARD = "E05010460"  # Abbey
BBOX = "-1.16,52.62,-1.11,52.65"  # central Leicester
ROTATING_BBOXES = 500  # cycled in order: far more than the 64 responses a worker keeps
ENDPOINTS = {
    "city page": "/",
    "ward page": f"/wards/{WARD}",
    "api bbox": f"/api/assets?bbox={BBOX}",
    "api bbox rotating": f"/api/assets?bbox=<{ROTATING_BBOXES} bboxes in turn>",
    "api wards": "/api/wards",
    "static floor": "/vendor/leaflet.css",
}
ROTATING = "api bbox rotating"
API_ENDPOINTS = ("api bbox", ROTATING, "api wards")
BBOX_ENDPOINTS = ("api bbox", ROTATING)
P95_TARGET_MS = 50.0
BBOX_RPS_TARGET = 200.0
WARMUP_S = 2
WRK_TIMEOUT_S = 10  # wrk's own default (2 s) would drop the slow baseline's responses as timeouts
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
SETTLE_TIMEOUT_S = 30.0
LOAD_TIMEOUT_S = 300.0

SERVERS: dict[str, tuple[str, ...]] = {
    "sync": ("-m", "gunicorn", "--workers", "2", "--worker-class", "sync"),
    "gthread": ("-m", "gunicorn", "--workers", "2", "--worker-class", "gthread", "--threads", "4"),
    "flask-dev": ("-m", "flask", "--app", "app", "run", "--without-threads"),
}
SERVER_LABELS = {
    "sync": "gunicorn sync, 2 workers",
    "gthread": "gunicorn gthread, 2 workers x 4 threads",
    "flask-dev": "baseline: Flask dev server, 1 thread",
}

# wrk calls done() once at the end; latencies are in microseconds.
DONE_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH {\\"requests\\": %d, \\"duration_us\\": %d, \\"p50_us\\": %.0f, \\"p95_us\\": %.0f, "
    .. "\\"p99_us\\": %.0f, \\"connect\\": %d, \\"read\\": %d, \\"write\\": %d, \\"timeout\\": %d, "
    .. "\\"status\\": %d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect, e.read, e.write, e.timeout, e.status))
end
"""


# wrk calls request() for every request; each thread starts at its own place in the cycle.
ROTATE_LUA = """
local i = 0
init = function(args)
  i = math.random(#bboxes)
end
request = function()
  i = i % #bboxes + 1
  return wrk.format("GET", "/api/assets?bbox=" .. bboxes[i])
end
"""


def rotating_bboxes(n: int = ROTATING_BBOXES) -> list[str]:
    """``n`` distinct bboxes the size of :data:`BBOX`, shifted across central Leicester on a grid.

    >>> boxes = rotating_bboxes(); len(set(boxes)), boxes[0]
    (500, '-1.17000,52.61000,-1.12000,52.64000')
    """
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in BBOX.split(","))
    steps = [(col * 0.001 - 0.01, row * 0.001 - 0.01) for row in range(20) for col in range(25)][:n]
    return [
        ",".join(f"{v:.5f}" for v in (min_lon + dx, min_lat + dy, max_lon + dx, max_lat + dy))
        for dx, dy in steps
    ]


@dataclass(frozen=True)
class Result:
    """One wrk run: throughput, latency percentiles in ms and error counts."""

    server: str
    endpoint: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    socket_errors: int
    bad_status: int


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup on SIGTERM too
    if shutil.which("wrk") is None:
        sys.exit("bench/web.py needs wrk: apt-get install -y wrk (scripts/setup.sh installs it)")
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="assetmap-bench-web-") as tmp:
        results = run_all(args, Path(tmp))
    print(machine())
    print(f"load average (1 min) before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    print(f"wrk -t2 -c{args.connections} -d{args.duration}s --latency --timeout {WRK_TIMEOUT_S}s; ", end="")
    print(f"{WARMUP_S} s uncounted warm-up per endpoint; pack {args.pack}")
    print()
    print(table(results))
    print()
    print("\n".join(verdicts(results, connections=args.connections)))
    print(f"total bench time {time.perf_counter() - started:.0f} s")


def run_all(args: argparse.Namespace, tmp: Path) -> list[Result]:
    """Load the pack into ``tmp``, then measure every endpoint on every server in turn."""
    env = bench_env(tmp / "bench.sqlite", args.pack)
    load_pack(env, args.pack)
    lua = tmp / "done.lua"
    lua.write_text(DONE_LUA)
    rotate = tmp / "rotate.lua"
    boxes = ", ".join(f'"{b}"' for b in rotating_bboxes())
    rotate.write_text(f"bboxes = {{{boxes}}}\n{ROTATE_LUA}{DONE_LUA}")
    results = []
    for server in args.servers:
        with running(server, env) as base:
            for name, path in ENDPOINTS.items():
                settle(base)
                log(f"{server}: {name} ({path})")
                url, script = (base + "/api/assets", rotate) if name == ROTATING else (base + path, lua)
                results.append(
                    measure(server, name, url, script, duration=args.duration, connections=args.connections)
                )
    return results


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", default=default_pack(), help="the data pack (default: the app config's)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint (default 15)")
    parser.add_argument("--connections", type=int, default=20, help="concurrent connections (default 20)")
    parser.add_argument(
        "--servers", nargs="+", choices=list(SERVERS), default=list(SERVERS), help="servers, in order"
    )
    return parser.parse_args()


def default_pack() -> str:
    sys.path.insert(0, str(PROJECT_ROOT))
    from assetmap.config import load_config

    return str(load_config()["DATA_PACK"])


def bench_env(database: Path, pack: str) -> dict[str, str]:
    """The environment for the loader and the servers: the throwaway database and the pack."""
    return os.environ | {
        "ASSETMAP_DATABASE_URL": f"sqlite:///{database}",
        "ASSETMAP_DATA_PACK": pack,
        "PYTHONUNBUFFERED": "1",
    }


def load_pack(env: dict[str, str], pack: str) -> None:
    log(f"loading {pack} into {env['ASSETMAP_DATABASE_URL']}")
    subprocess.run(
        [sys.executable, "-m", "assetmap", "load-pack", "--pack", pack],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=LOAD_TIMEOUT_S,
    )


@contextmanager
def running(server: str, env: dict[str, str]) -> Iterator[str]:
    """Start ``server`` on loopback and a free port; yield its base URL; stop it on the way out."""
    port = free_port()
    command = [sys.executable, *SERVERS[server]]
    if server == "flask-dev":
        command += ["--host", HOST, "--port", str(port)]
    else:
        command += ["--bind", f"{HOST}:{port}", "--no-control-socket", "app:app"]
    log(f"starting {' '.join(command[1:])}")
    # Its own session: the terminal's Ctrl-C reaches only this script, which then stops it.
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://{HOST}:{port}"
        wait_healthy(base, process)
        yield base
    finally:
        stop(process)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=5) as response:
                health = json.load(response)
                log(f"healthy: {health}")
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"no healthy server at {base} after {START_TIMEOUT_S:.0f} s")


def settle(base: str) -> None:
    """Wait until the server has worked off requests still queued from the last run.

    wrk stops sending at the end of a run, but a server may still hold accepted requests; the next
    run would otherwise pay for them. Settled is /api/health answering in under 0.2 s twice running.
    """
    deadline, fast = time.monotonic() + SETTLE_TIMEOUT_S, 0
    while fast < 2 and time.monotonic() < deadline:
        start = time.monotonic()
        with urllib.request.urlopen(base + "/api/health", timeout=SETTLE_TIMEOUT_S):
            pass
        fast = fast + 1 if time.monotonic() - start < 0.2 else 0


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (the master and its workers), then SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


def measure(server: str, endpoint: str, url: str, lua: Path, *, duration: int, connections: int) -> Result:
    """Warm up, then one wrk run of ``duration`` seconds; the numbers from the Lua ``done`` line."""
    wrk(url, lua, duration=WARMUP_S, connections=min(4, connections))
    output = wrk(url, lua, duration=duration, connections=connections)
    match = re.search(r"^BENCH (\{.*\})$", output, flags=re.MULTILINE)
    if match is None:
        raise RuntimeError(f"no BENCH line in wrk's output:\n{output}")
    raw: dict[str, Any] = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    return Result(
        server=server,
        endpoint=endpoint,
        rps=raw["requests"] / seconds,
        p50_ms=raw["p50_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        socket_errors=sum(raw[k] for k in ("connect", "read", "write", "timeout")),
        bad_status=raw["status"],
    )


def wrk(url: str, lua: Path, *, duration: int, connections: int) -> str:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    command += [f"--timeout={WRK_TIMEOUT_S}s", "-s", str(lua), url]
    done = subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=duration + WRK_TIMEOUT_S + 30
    )
    return done.stdout


def table(results: list[Result]) -> str:
    width = max(len(SERVER_LABELS[r.server]) for r in results)
    ends = max(len(f"{r.endpoint} {ENDPOINTS[r.endpoint]}") for r in results)
    lines = [
        f"| {'server':<{width}} | {'endpoint':<{ends}} |   req/s | p50 ms | p95 ms | p99 ms "
        "| socket errors | status >= 400 |",
        f"|{'-' * (width + 2)}|{'-' * (ends + 2)}|--------:|-------:|-------:|-------:"
        "|--------------:|--------------:|",
    ]
    for r in results:
        lines.append(
            f"| {SERVER_LABELS[r.server]:<{width}} | {r.endpoint + ' ' + ENDPOINTS[r.endpoint]:<{ends}} "
            f"| {r.rps:7.1f} | {r.p50_ms:6.1f} | {r.p95_ms:6.1f} | {r.p99_ms:6.1f} "
            f"| {r.socket_errors:13d} | {r.bad_status:13d} |"
        )
    return "\n".join(lines)


def verdicts(results: list[Result], *, connections: int) -> list[str]:
    """The targets, for each gunicorn server measured."""
    lines = []
    for server in dict.fromkeys(r.server for r in results if r.server != "flask-dev"):
        mine = {r.endpoint: r for r in results if r.server == server}
        label = SERVER_LABELS[server]
        for name in API_ENDPOINTS:
            p95 = mine[name].p95_ms
            ok = p95 < P95_TARGET_MS and clean(mine[name])
            lines.append(
                f"{label}: {name} p95 < {P95_TARGET_MS:.0f} ms at {connections} clients: "
                f"{p95:.1f} ms: {'MET' if ok else 'NOT MET'}"
            )
        for name in BBOX_ENDPOINTS:
            rps = mine[name].rps
            ok = rps >= BBOX_RPS_TARGET and clean(mine[name])
            lines.append(
                f"{label}: {name} >= {BBOX_RPS_TARGET:.0f} req/s: {rps:.1f}: {'MET' if ok else 'NOT MET'}"
            )
    return lines


def clean(result: Result) -> bool:
    return result.socket_errors == 0 and result.bad_status == 0


def machine() -> str:
    model = cpu_model()
    # wrk --version prints its banner and exits with status 1.
    banner = subprocess.run(["wrk", "--version"], check=False, capture_output=True, text=True).stdout
    wrk_version = banner.split()[1]
    return (
        f"{datetime.date.today().isoformat()}; nproc {len(os.sched_getaffinity(0))} ({model}); "
        f"Python {platform.python_version()}, gunicorn {version('gunicorn')}, Flask {version('flask')}, "
        f"Werkzeug {version('werkzeug')}, wrk {wrk_version}"
    )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted; servers stopped and the temporary database removed")
