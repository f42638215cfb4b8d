"""Benchmark of the web application under a bounded load, server on loopback.

Starts `bedside serve` (one uvicorn worker) on a fresh SQLite database seeded with one clinician,
an API token and one analysed 150-turn consultation, then drives it with concurrent clients:

* baseline: `GET /healthz` (static text, no database), measured in the same run;
* the report page: `GET /encounters/{id}` (session lookup, audit write, full report render);
* the upload: `POST /api/v1/encounters` with a 150-turn transcript, read + analysed + stored.

Prints requests/s and p50/p95 latency for each, and the server's peak resident memory.
Targets (issue 6): report page p95 < 50 ms, 150-turn upload p95 < 1.5 s, memory < 1 GB.

    .venv/bin/python bench/web.py [--clients 50] [--seconds 30] [--upload-clients 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PAIR = sorted((ROOT / "data" / "samples" / "primock57").glob("day1_consultation01_*.TextGrid"))


def transcript_150() -> bytes:
    """A 150-turn plain-text consultation built from the bundled PriMock57 pair's real turns."""
    from bedside.io import merge_conversations, read_conversation

    conv = merge_conversations([read_conversation(p) for p in PAIR])
    lines = []
    turns = list(conv.turns)
    while len(lines) < 150:
        for turn in turns:
            name = "Doctor" if turn.role.value == "clinician" else "Patient"
            lines.append(f"{name}: {turn.text}")
            if len(lines) == 150:
                break
    return ("\n".join(lines) + "\n").encode()


def seed(url: str, body: bytes) -> tuple[str, int]:
    """Migrate, create a clinician with an API token and one analysed encounter."""
    from bedside.services import accounts, encounters
    from bedside.services.database import open_database, upgrade

    upgrade(url)
    database = open_database(url)
    with database.sessions() as session:
        org = accounts.create_organisation(session, "Bench")
        user = accounts.create_user(
            session, None, organisation_id=org.id, email="bench@bench.example",
            display_name="Bench", role="clinician", password="quiet harbour lantern",
        )
        token = accounts.create_api_token(session, user, "bench").secret
        encounter = encounters.upload(
            session, user, [encounters.Upload("bench.txt", body)],
            pipeline=encounters.DefaultPipeline(),
        )
        encounter_id = encounter.id
    database.dispose()
    return token, encounter_id


def engine_alone_ms(body: bytes, repeat: int = 3) -> float:
    """Median time to read and analyse the 150-turn upload in this process (models loaded):
    what the upload costs before any web, database or queueing overhead."""
    from bedside.services.encounters import DefaultPipeline, Upload

    pipeline = DefaultPipeline()
    pipeline.labeller()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        pipeline.analyse(pipeline.read([Upload("consultation.txt", body)]))
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of the server process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def load(
    base: str, *, method: str, path: str, clients: int, seconds: float, headers: dict[str, str],
    files: list[tuple[str, tuple[str, bytes]]] | None = None,
) -> tuple[int, int, list[float]]:
    """`clients` loops sending requests for `seconds`; returns (ok, errors, latencies in s)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    response = await client.request(method, path, files=files)
                except httpx.TransportError:  # a dropped connection counts as an error
                    errors += 1
                    continue
                elapsed = time.perf_counter() - start
                if response.status_code >= 400:
                    errors += 1
                else:
                    latencies.append(elapsed)

        await asyncio.gather(*(worker() for _ in range(clients)))
    return len(latencies), errors, latencies


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--upload-clients", type=int, default=4)
    args = parser.parse_args()

    body = transcript_150()
    engine_ms = engine_alone_ms(body)
    folder = Path(tempfile.mkdtemp(prefix="bedside-bench-web-"))
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    token, encounter_id = seed(url, body)
    port = free_port()
    env = dict(os.environ, BEDSIDE_DATABASE_URL=url, BEDSIDE_SECRET_KEY="b" * 48,
               XDG_DATA_HOME=str(folder))
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "bedside"), "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        auth = {"authorization": f"Bearer {token}"}
        # warm-up: the first upload loads the language models (or notes they are missing)
        httpx.post(f"{base}/api/v1/encounters", headers=auth, files=[("files", ("w.txt", body))], timeout=120)
        runs = [
            ("baseline: GET /healthz (static)", "GET", "/healthz", args.clients, None),
            ("baseline: GET /healthz (static)", "GET", "/healthz", 1, None),
            ("report page: GET /encounters/{id}", "GET", f"/encounters/{encounter_id}", args.clients, None),
            ("report page: GET /encounters/{id}", "GET", f"/encounters/{encounter_id}", 1, None),
            ("upload 150 turns: POST /api/v1/encounters", "POST", "/api/v1/encounters",
             args.upload_clients, [("files", ("consultation.txt", body))]),
            ("upload 150 turns: POST /api/v1/encounters", "POST", "/api/v1/encounters", 1,
             [("files", ("consultation.txt", body))]),
        ]
        rows = []
        for label, method, path, clients, files in runs:
            ok, errors, latencies = asyncio.run(load(
                base, method=method, path=path, clients=clients, seconds=args.seconds,
                headers=auth, files=files,
            ))
            rows.append((label, clients, ok / args.seconds, quantile(latencies, 0.5) * 1000,
                         quantile(latencies, 0.95) * 1000, errors))
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        memory = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)

    print(f"Web load, {args.seconds:.0f} s per row, one uvicorn worker, SQLite, 2 cores shared with the load generator")
    print()
    print("| request | concurrent clients | requests/s | p50 ms | p95 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, clients, rps, p50, p95, errors in rows:
        print(f"| {label} | {clients} | {rps:.1f} | {p50:.1f} | {p95:.1f} | {errors} |")
    print()
    print(f"Server peak resident memory: {memory:.0f} MB (target < 1024 MB)")
    print(f"Engine alone, same 150 turns read + analysed in-process: median {engine_ms:.0f} ms")
    print("Targets: report page p95 < 50 ms; 150-turn upload p95 < 1.5 s. The 1-client rows show the")
    print("service time; the concurrent rows add queueing on one worker process.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
