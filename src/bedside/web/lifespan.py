"""What the app starts and stops with itself: the analysis workers and the reader processes.

At start-up, jobs left unfinished by a server that is gone are marked failed with a message
(nothing silently lost); at shutdown, queued jobs are failed the same way and running ones
finish. The reader pool is shared by every app in the process and stopped at exit.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from bedside.config import Settings
from bedside.services import jobs
from bedside.services.database import Database
from bedside.services.encounters import Pipeline
from bedside.services.parsing import ParsePool, shared_pool

__all__ = ["job_runner", "lifespan"]

log = logging.getLogger(__name__)


def job_runner(settings: Settings, database: Database, pipeline: Pipeline) -> jobs.JobRunner:
    """The app's analysis workers, reading uploads in the shared reader processes."""
    return jobs.JobRunner(
        database.sessions,
        pipeline,
        parser=shared_pool(settings.parse_workers),
        parse_timeout_s=settings.parse_timeout_s,
        workers=settings.analysis_workers,
        max_queued=settings.analysis_queue,
    )


def _recover(database: Database) -> int:
    with database.sessions() as session:
        return jobs.recover(session)


def _warm(parser: ParsePool) -> None:
    try:
        parser.warm()
    except Exception as error:  # the first upload starts them instead
        log.warning("the reader processes could not be started early (%s)", type(error).__name__)


SWITCH_INTERVAL_S = 0.001


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Recover interrupted jobs before serving; stop the workers after.

    The event loop's thread competes for the GIL with the analysis and request threads; at
    Python's default 5 ms switch interval each of its turns could wait that long behind every
    busy thread. 1 ms keeps `/healthz` and page I/O prompt while analyses run.
    """
    sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
    await run_in_threadpool(_recover, app.state.db)
    parser = app.state.jobs.parser
    if parser is not None:  # the reader processes start beside the server, not on first upload
        threading.Thread(target=_warm, args=(parser,), name="bedside-reader-warm",
                         daemon=True).start()
    try:
        yield
    finally:
        await run_in_threadpool(app.state.jobs.shutdown)
