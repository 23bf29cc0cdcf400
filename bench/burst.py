"""The burst of the production-readiness report, replayed: memory of one worker before and after
60 concurrent requests, each the heaviest document the limits admit, and the reported 45-alias
document (now refused before execution).

    python -m bench.burst [--per-branch 250] [--requests 60]

Starts `creditcare serve` (1 worker) on a SQLite file with demo data in a temporary directory,
and prints JSON: the resident memory (VmRSS) at start, at the peak while the burst runs, and 5 s
after it, with each request's status and size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from api.auth import issue_token
from api.services.demo import BRANCHES, MANAGERS
from api.settings import DEVELOPMENT_SECRET_KEY

# As reported: 45 aliases of a full page of customers with their nested lists.
_PAGE = ("customers(first: 100) { edges { node { id name creditCode grade { level score } industry { code name } "
         "financialStatements { periodEnd totalAssets totalLiabilities revenue netProfit } "
         "serviceRecords { edges { node { kind occurredAt summary } } } } } }")
REPORTED = "{ " + " ".join(f"a{i}: {_PAGE}" for i in range(45)) + " }"
# The heaviest this service admits by default: aliased full pages up to the cost limit.
ADMITTED = "{ " + " ".join(f"a{i}: customers(first: 100) {{ edges {{ node {{ id name creditCode "
                           f"grade {{ level score }} industry {{ code name }} }} }} }}" for i in range(18)) + " }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _burst(port: int, pid: int, document: str, count: int) -> dict[str, Any]:
    # A branch manager of the demo (a staff record with an agreement): reads its branch's customers.
    token = issue_token(DEVELOPMENT_SECRET_KEY, sub=MANAGERS[0], roles=["branch_manager"], branch=BRANCHES[0][0],
                        nda=True)
    peak = _rss_mb(pid)
    done = False

    async def watch() -> None:
        nonlocal peak
        while not done:
            peak = max(peak, _rss_mb(pid))
            await asyncio.sleep(0.05)

    watcher = asyncio.create_task(watch())
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        started = time.perf_counter()
        responses = await asyncio.gather(*[
            client.post("/graphql", json={"query": document}, headers={"Authorization": f"Bearer {token}"})
            for _ in range(count)
        ])
        elapsed = time.perf_counter() - started
        health = await client.get("/healthz")
    done = True
    await watcher
    statuses: dict[str, int] = {}
    for response in responses:
        code = (response.json().get("errors") or [{}])[0].get("extensions", {}).get("code", "ok")
        key = f"{response.status_code} {code}"
        statuses[key] = statuses.get(key, 0) + 1
    return {"requests": count, "seconds": round(elapsed, 2), "statuses": statuses,
            "largest_response_bytes": max(len(r.content) for r in responses),
            "peak_rss_mb": round(peak, 1), "healthz_after": health.status_code}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-branch", type=int, default=250)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        # Nothing of the caller's CREDITCARE_* settings: the defaults are what is measured.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITCARE_")}
        env |= {"CREDITCARE_DATABASE_URL": f"sqlite:///{directory}/burst.db",
               "CREDITCARE_LOG_LEVEL": "warning"}
        cli = [str(Path(sys.executable).with_name("creditcare"))]
        subprocess.run([*cli, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([*cli, "demo-data", "--per-branch", str(args.per_branch)], env=env, check=True,
                       capture_output=True)
        port = _free_port()
        server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env)
        try:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
            pid = server.pid
            start = _rss_mb(pid)
            reported = asyncio.run(_burst(port, pid, REPORTED, args.requests))
            admitted = asyncio.run(_burst(port, pid, ADMITTED, args.requests))
            time.sleep(5)
            print(json.dumps({"rss_at_start_mb": round(start, 1), "reported_document": reported,
                              "heaviest_admitted_document": admitted,
                              "rss_5s_after_mb": round(_rss_mb(pid), 1)}, indent=2))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
