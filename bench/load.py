"""Load benchmark: uploads and report reads while one client watches `/healthz` (issue 11).

Starts the real app with uvicorn on loopback (a fresh SQLite database in a temporary folder;
the real models through the default pipeline, or `--fake` for the rules-only engine), seeds one
clinician and one analysed consultation, then for a bounded time runs:

* `--uploaders` clients uploading the bundled PriMock57 pair (data/samples/primock57), turn about
  through the JSON API (`POST /api/v1/encounters`, synchronous) and the web form (`POST
  /encounters`, then the progress page until it turns into the report);
* `--readers` clients reading reports (`GET /encounters/{id}` and its analysis JSON);
* one client polling `GET /healthz` every `--interval` seconds.

Prints the errors (target 0) and the `/healthz` p50/p95 under load (target p95 < 200 ms while
uploads run) beside the same figures with no load, measured first in the same run.

    .venv/bin/python bench/load.py [--seconds 30] [--uploaders 4] [--readers 4] [--fake]
                                   [--out load.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bedside.services.encounters import DefaultPipeline

ROOT = Path(__file__).resolve().parents[1]
PAIR = sorted((ROOT / "data" / "samples" / "primock57").glob("day1_consultation01_*.TextGrid"))
SECRET = "load-bench-" + "k" * 40
TARGET_P95_MS = 200.0


class RulesOnlyPipeline(DefaultPipeline):
    """The real readers and engine without the language models (`--fake`)."""

    def labeller(self) -> Any:
        return None


@dataclass
class Seeded:
    token: str
    session_cookie: str
    encounter_id: int


def seed(url: str, pipeline: DefaultPipeline) -> Seeded:
    """Migrate; one clinician with an API token and a web session; one analysed encounter."""
    from bedside.services import accounts, encounters
    from bedside.services.database import open_database, upgrade

    upgrade(url)
    database = open_database(url)
    with database.sessions() as session:
        org = accounts.create_organisation(session, "Load bench")
        user = accounts.create_user(
            session, None, organisation_id=org.id, email="load@bench.example",
            display_name="Load", role="clinician", password=secrets.token_urlsafe(24),
        )
        token = accounts.create_api_token(session, user, "load").secret
        cookie = accounts.start_session(session, user)
        encounter = encounters.upload(
            session, user, [encounters.Upload(p.name, p.read_bytes()) for p in PAIR],
            pipeline=pipeline,
        )
        seeded = Seeded(token=token, session_cookie=cookie, encounter_id=encounter.id)
    database.dispose()
    return seeded


def serve(url: str, port: int, fake: bool) -> None:
    """The server process: the app as `bedside serve` builds it, on loopback."""
    import uvicorn

    from bedside.services.database import open_database
    from bedside.web.app import create_app

    pipeline = RulesOnlyPipeline() if fake else DefaultPipeline()
    app = create_app(database=open_database(url), pipeline=pipeline, secret_key=SECRET)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def quantile_ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1] * 1000


@dataclass
class Tally:
    """What the load clients did and what went wrong (by kind)."""

    api_uploads: int = 0
    web_uploads: int = 0
    report_reads: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    upload_seconds: list[float] = field(default_factory=list)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


def poll_healthz(base: str, stop: threading.Event, interval: float) -> tuple[list[float], int]:
    """Latencies of `GET /healthz` until `stop` is set, in its own thread and connection."""
    latencies: list[float] = []
    failures = 0
    with httpx.Client(base_url=base, timeout=30) as client:
        while not stop.is_set():
            start = time.perf_counter()
            try:
                ok = client.get("/healthz").status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append(time.perf_counter() - start)
            else:
                failures += 1
            stop.wait(interval)
    return latencies, failures


async def run_load(base: str, seeded: Seeded, *, uploaders: int, readers: int,
                   seconds: float) -> Tally:
    tally = Tally()
    files = [("files", (p.name, p.read_bytes())) for p in PAIR]
    deadline = time.perf_counter() + seconds
    api = {"authorization": f"Bearer {seeded.token}"}

    async with httpx.AsyncClient(base_url=base, timeout=300, follow_redirects=False) as web, \
            httpx.AsyncClient(base_url=base, timeout=300) as bare:  # the API: a token, no cookies
        web.cookies.set("bedside_session", seeded.session_cookie)
        await web.get("/login")
        csrf = web.cookies.get("csrftoken") or ""

        async def web_upload() -> bool:
            answer = await web.post("/encounters", files=files, headers={"x-csrftoken": csrf})
            if answer.status_code != 303:
                tally.error(f"web upload {answer.status_code}")
                return False
            location = answer.headers["location"]
            while location.startswith("/encounters/jobs/"):
                page = await web.get(location)
                if page.status_code == 303:
                    location = page.headers["location"]
                elif page.status_code != 200 or "did not finish" in page.text:
                    tally.error(f"web job {page.status_code}")
                    return False
                else:
                    await asyncio.sleep(0.25)
            report = await web.get(location)
            if report.status_code != 200:
                tally.error(f"report after upload {report.status_code}")
                return False
            return True

        async def uploader(number: int) -> None:
            turn = number
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    if turn % 2:
                        ok = await web_upload()
                        tally.web_uploads += ok
                    else:
                        answer = await bare.post("/api/v1/encounters", files=files, headers=api)
                        ok = answer.status_code == 201
                        tally.api_uploads += ok
                        if not ok:
                            tally.error(f"api upload {answer.status_code}")
                except httpx.HTTPError as error:
                    tally.error(f"upload {type(error).__name__}")
                    ok = False
                if ok:
                    tally.upload_seconds.append(time.perf_counter() - start)
                turn += 1

        async def reader() -> None:
            paths = (f"/encounters/{seeded.encounter_id}",
                     f"/api/v1/encounters/{seeded.encounter_id}/analysis")
            turn = 0
            while time.perf_counter() < deadline:
                path = paths[turn % 2]
                try:
                    client = bare if path.startswith("/api") else web
                    answer = await client.get(path, headers=api)
                    if answer.status_code == 200:
                        tally.report_reads += 1
                    else:
                        tally.error(f"read {answer.status_code}")
                except httpx.HTTPError as error:
                    tally.error(f"read {type(error).__name__}")
                turn += 1
                await asyncio.sleep(0.05)

        await asyncio.gather(*(uploader(n) for n in range(uploaders)),
                             *(reader() for _ in range(readers)))
    return tally


def healthz_phase(base: str, seconds: float, interval: float) -> tuple[list[float], int]:
    stop = threading.Event()
    result: dict[str, tuple[list[float], int]] = {}
    thread = threading.Thread(target=lambda: result.setdefault(
        "r", poll_healthz(base, stop, interval)))
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join()
    return result["r"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the load phase")
    parser.add_argument("--baseline-seconds", type=float, default=5.0)
    parser.add_argument("--uploaders", type=int, default=4)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between /healthz polls")
    parser.add_argument("--fake", action="store_true", help="rules-only engine, no language models")
    parser.add_argument("--out", type=Path, help="write the figures as JSON here")
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.fake)
        return 0

    folder = Path(tempfile.mkdtemp(prefix="bedside-bench-load-"))
    url = f"sqlite:///{folder / 'load.sqlite3'}"
    env = dict(os.environ, XDG_DATA_HOME=str(folder), BEDSIDE_SECRET_KEY=SECRET)
    os.environ.update(env)  # the seeding here and the server share the data key in the folder
    seeded = seed(url, RulesOnlyPipeline())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, __file__, "--serve", url, str(port)] + (["--fake"] if args.fake else [])
    server = subprocess.Popen(command, env=env)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        # warm-up: the first upload starts the reader processes and loads the models
        warm = httpx.post(f"{base}/api/v1/encounters", files=[("files", (p.name, p.read_bytes())) for p in PAIR],
                          headers={"authorization": f"Bearer {seeded.token}"}, timeout=300)
        if warm.status_code != 201:
            raise SystemExit(f"the warm-up upload failed: {warm.status_code} {warm.text[:200]}")
        idle, idle_failures = healthz_phase(base, args.baseline_seconds, args.interval)
        stop = threading.Event()
        polled: dict[str, tuple[list[float], int]] = {}
        poller = threading.Thread(target=lambda: polled.setdefault(
            "r", poll_healthz(base, stop, args.interval)))
        poller.start()
        started = time.perf_counter()
        tally = asyncio.run(run_load(base, seeded, uploaders=args.uploaders, readers=args.readers,
                                     seconds=args.seconds))
        load_seconds = time.perf_counter() - started
        stop.set()
        poller.join()
        loaded, loaded_failures = polled["r"]
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
    finally:
        server.terminate()
        server.wait(timeout=30)

    if idle_failures:
        tally.error("healthz (no load)")
    for _ in range(loaded_failures):
        tally.error("healthz (under load)")
    figures = {
        "pipeline": "rules only (--fake)" if args.fake else "default (language models)",
        "seconds": round(load_seconds, 1),
        "uploaders": args.uploaders,
        "readers": args.readers,
        "uploads": tally.api_uploads + tally.web_uploads,
        "api_uploads": tally.api_uploads,
        "web_uploads": tally.web_uploads,
        "upload_p50_s": round((quantile_ms(tally.upload_seconds, 0.5) or 0) / 1000, 2),
        "report_reads": tally.report_reads,
        "errors": sum(tally.errors.values()),
        "errors_by_kind": tally.errors,
        "healthz_no_load": {"n": len(idle), "p50_ms": quantile_ms(idle, 0.5),
                            "p95_ms": quantile_ms(idle, 0.95)},
        "healthz_under_load": {"n": len(loaded), "p50_ms": quantile_ms(loaded, 0.5),
                               "p95_ms": quantile_ms(loaded, 0.95),
                               "max_ms": max(loaded) * 1000 if loaded else None},
        "target_p95_ms": TARGET_P95_MS,
        "cpus": os.cpu_count(),
        "load_average_1min_at_end": round(os.getloadavg()[0], 1),
    }
    loaded_p95 = figures["healthz_under_load"]["p95_ms"]
    figures["met"] = bool(figures["errors"] == 0 and loaded_p95 is not None
                          and loaded_p95 < TARGET_P95_MS and figures["uploads"])
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"Load for {figures['seconds']} s: {args.uploaders} uploaders (PriMock57 pair, API and web "
          f"job path), {args.readers} report readers; pipeline {figures['pipeline']}; "
          f"{figures['cpus']} CPUs shared by server and clients "
          f"(load average {figures['load_average_1min_at_end']} at the end)")
    print(f"uploads {figures['uploads']} (api {tally.api_uploads}, web {tally.web_uploads}, "
          f"p50 {figures['upload_p50_s']} s), report reads {tally.report_reads}, "
          f"errors {figures['errors']} {tally.errors or ''} (target 0)")
    print("| /healthz | polls | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for label, key in (("no load", "healthz_no_load"), ("under load", "healthz_under_load")):
        row = figures[key]
        print(f"| {label} | {row['n']} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} |")
    print(f"target: p95 < {TARGET_P95_MS:.0f} ms under load, 0 errors: "
          f"{'met' if figures['met'] else 'NOT met'}")
    return 0 if figures["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

