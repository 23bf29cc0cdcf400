"""Load with wrk: one bounded run at a fixed concurrency, rotating request bodies, parsed output."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "rotate.lua"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True, slots=True)
class WrkResult:
    """What one wrk run reports, latencies in milliseconds."""

    requests: int
    seconds: float
    requests_per_second: float
    latency_avg_ms: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    latency_max_ms: float
    responses: int
    graphql_errors: int
    non_200: int
    socket_errors: dict[str, int]
    bodies: int

    @property
    def failures(self) -> int:
        return self.graphql_errors + self.non_200 + sum(self.socket_errors.values())

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str) -> WrkResult:
    """Parse ``wrk --latency`` output with the counters ``rotate.lua`` prints."""
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.M)
        if match is None:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
        return match

    latency = find(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)")
    percentiles = {p: _ms(find(rf"^\s+{p}%\s+(\S+)").group(1)) for p in (50, 75, 90, 99)}
    total = find(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m)")
    counters = find(r"^GQL_ERRORS (\d+) RESPONSES (\d+) NON200 (\d+) BODIES (\d+)")
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = (dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True))
                     if sockets else {})
    # wrk's own non-2xx count covers the statuses the script did not see (none, normally).
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_ms(total.group(2) + total.group(3)) / 1000,
        requests_per_second=float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
        latency_avg_ms=_ms(latency.group(1)),
        p50_ms=percentiles[50], p75_ms=percentiles[75], p90_ms=percentiles[90], p99_ms=percentiles[99],
        latency_max_ms=_ms(latency.group(3)),
        responses=int(counters.group(2)),
        graphql_errors=int(counters.group(1)),
        non_200=max(int(counters.group(3)), int(non2xx.group(1)) if non2xx else 0),
        socket_errors={k: v for k, v in socket_errors.items() if v},
        bodies=int(counters.group(4)),
    )


def run(port: int, bodies: Path, seconds: float, *, connections: int = 10, token: str | None = None,
        timeout_s: int = 30) -> tuple[WrkResult, str]:
    """``wrk -t1 -c<connections> -d<seconds>s --latency`` against 127.0.0.1:<port>/graphql."""
    wrk = shutil.which("wrk") or "/usr/bin/wrk"
    env = {**os.environ, "BODIES": str(bodies), "AUTH": f"Bearer {token}" if token else ""}
    # A slow server must show up as latency, not as wrk's default 2 s timeouts dropped from the stats.
    argv = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", f"--timeout={timeout_s}s", "--latency",
            "-s", str(SCRIPT), f"http://127.0.0.1:{port}/graphql"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + timeout_s + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return parse(done.stdout), done.stdout
