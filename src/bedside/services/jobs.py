"""Analysis as a background job: the upload answers at once, a bounded worker pool analyses.

    runner = JobRunner(database.sessions, pipeline, parser=shared_pool())
    job = runner.submit(session, user, files, title="…", ip=ip)   # checked and read here
    view = runner.status(session, user, job.id)                   # what the progress page shows

`submit` does the quick, refusable part in the caller's thread (checks, and the read in a reader
process under its time limit), so a bad file is still a 400 on the form; then it stores a
`queued` job row and hands the analysis to a thread pool of `workers` threads (the models release
the GIL). At most `max_queued` analyses wait; one more is refused with `Busy` (503).

Nothing is silently lost: `recover` (run when the app starts) marks failed, with a message, every
job whose server process is gone. The job row never holds health data.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bedside.db.base import utcnow
from bedside.db.session import is_busy
from bedside.db.tables import Encounter, User
from bedside.db.tables_jobs import AnalysisJob, JobStatus
from bedside.errors import Busy, FormatError, NotFound
from bedside.model import Conversation
from bedside.services import encounters
from bedside.services.encounters import CheckedUpload, Pipeline, Upload
from bedside.services.parsing import ParsePool

__all__ = ["RUNNER", "JobRunner", "JobView", "recover"]

log = logging.getLogger(__name__)

HOST = socket.gethostname()
RUNNER = f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}"
"""This server process (host, pid, and a nonce against a reused pid), written on its jobs."""

INTERRUPTED = "the server restarted before the analysis finished; nothing was stored, upload the file again"
FAILED = "the analysis failed; nothing was stored. Try again, or tell your administrator"
BUSY = "the database was busy; nothing was stored. Upload the file again in a moment"


@dataclass(frozen=True)
class JobView:
    """What the progress page and the API show of a job."""

    id: int
    status: JobStatus
    progress: int
    error: str | None
    encounter_id: int | None
    risk_turns: int = 0
    """Risk turns in the stored analysis: the progress page says so before the report opens."""

    @property
    def finished(self) -> bool:
        """Done or failed: the page stops polling."""
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


def _view(job: AnalysisJob) -> JobView:
    return JobView(id=job.id, status=job.job_status, progress=job.progress, error=job.error,
                   encounter_id=job.encounter_id)


@dataclass(frozen=True)
class _Work:
    job_id: int
    actor_id: int
    checked: CheckedUpload
    conversation: Conversation
    title: str
    ip: str | None


class JobRunner:
    """The app's analysis workers: a bounded thread pool and the job rows it keeps current."""

    def __init__(
        self,
        sessions: Callable[[], Session],
        pipeline: Pipeline,
        *,
        parser: ParsePool | None = None,
        parse_timeout_s: float = 10.0,
        workers: int = 2,
        max_queued: int = 32,
    ) -> None:
        self.sessions = sessions
        self.pipeline = pipeline
        self.parser = parser
        self.parse_timeout_s = parse_timeout_s
        self.workers = workers
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bedside-analysis")
        self._slots = threading.BoundedSemaphore(workers + max_queued)
        self._mine: set[int] = set()

    def submit(
        self,
        session: Session,
        actor: User,
        files: Sequence[Upload],
        *,
        title: str = "",
        patient_email: str = "",
        ip: str | None = None,
    ) -> tuple[JobView, Future[JobView]]:
        """Check and read the upload here, queue its analysis; the job and its future.

        Raises:
            PermissionDenied, FormatError: as `encounters.check` and `encounters.read`
                (ReadTimeout when the read ran past its limit); no job is stored.
            Busy: the queue is full.
        """
        checked = encounters.check(session, actor, files, patient_email=patient_email)
        if not self._slots.acquire(blocking=False):  # refused before any reading is spent on it
            raise Busy("the server is analysing many uploads; try again in a minute")
        try:
            conversation = encounters.read(
                self.pipeline, checked, parser=self.parser, timeout_s=self.parse_timeout_s
            )
            job = AnalysisJob(organisation_id=actor.organisation_id, owner_id=actor.id,
                              runner=RUNNER)
            session.add(job)
            session.commit()
            self._mine.add(job.id)
            work = _Work(job_id=job.id, actor_id=actor.id, checked=checked,
                         conversation=conversation, title=title, ip=ip)
            future = self._executor.submit(self._run, work)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(partial(self._finished, job.id))
        return _view(job), future

    def _finished(self, job_id: int, _future: Future[JobView]) -> None:
        self._mine.discard(job_id)
        self._slots.release()

    def status(self, session: Session, actor: User, job_id: int) -> JobView:
        """The job, for its owner only (anyone else: not found)."""
        job = session.get(AnalysisJob, job_id)
        if job is None or job.owner_id != actor.id:
            raise NotFound(f"no analysis job {job_id}")
        view = _view(job)
        if job.encounter_id is not None:
            encounter = session.get(Encounter, job.encounter_id)
            if encounter is not None:
                view = replace(view, risk_turns=encounter.risk_turns)
        return view

    def shutdown(self) -> None:
        """Stop taking work; queued jobs are failed with a message, running ones finish."""
        waiting = set(self._mine)
        self._executor.shutdown(wait=True, cancel_futures=True)
        if waiting:
            with self.sessions() as session:
                _fail_unfinished(session, waiting)

    def _run(self, work: _Work) -> JobView:
        with self.sessions() as session:
            try:
                self._progress(session, work.job_id, JobStatus.RUNNING, 10)
                report = self.pipeline.analyse(work.conversation)
                self._progress(session, work.job_id, JobStatus.RUNNING, 90)

                def done(inner: Session, encounter: Encounter) -> None:
                    job = inner.get(AnalysisJob, work.job_id)
                    if job is None:
                        raise NotFound("the job was removed during the analysis")
                    job.status, job.progress = JobStatus.DONE.value, 100
                    job.encounter_id = encounter.id
                    job.finished_at = job.updated_at = utcnow()

                # one commit for the encounter and its job (after a risk flag, when one is due)
                encounter = encounters.store_and_route(
                    session, work.actor_id, work.checked, work.conversation, report,
                    title=work.title, ip=work.ip, also=done,
                )
                job = session.get(AnalysisJob, work.job_id)
                if job is None:
                    raise NotFound(f"no analysis job {work.job_id}")
                log.info("analysis job %s stored encounter %s", job.id, encounter.id)
                return _view(job)
            except Exception as error:  # the user is told on the progress page, never a crash
                session.rollback()
                return self._fail(session, work.job_id, error)

    def _progress(self, session: Session, job_id: int, status: JobStatus, progress: int) -> None:
        job = session.get(AnalysisJob, job_id)
        if job is None:
            raise NotFound(f"no analysis job {job_id}")
        now = utcnow()
        if job.started_at is None:
            job.started_at = now
        job.status, job.progress, job.updated_at = status.value, progress, now
        session.commit()

    def _fail(self, session: Session, job_id: int, error: Exception) -> JobView:
        # Exception text can quote the transcript: only our own message and the type are kept.
        if isinstance(error, FormatError):
            message = f"line {error.line}: {error.message}" if error.line else error.message
        elif isinstance(error, DBAPIError) and is_busy(error):
            message = BUSY
        elif str(error) == encounters.RISK_FLAG_ONLY:  # the flag was stored: say so
            message = encounters.RISK_FLAG_ONLY
        else:
            message = FAILED
        log.error("analysis job %s failed (%s)", job_id, type(error).__name__)
        try:
            job = session.get(AnalysisJob, job_id)
            if job is None:
                raise NotFound(f"no analysis job {job_id}")
            job.status, job.error = JobStatus.FAILED.value, message[:500]
            job.finished_at = job.updated_at = utcnow()
            session.commit()
            return _view(job)
        except Exception as second:
            session.rollback()
            log.error("analysis job %s: its failure could not be recorded (%s)", job_id,
                      type(second).__name__)
            return JobView(id=job_id, status=JobStatus.FAILED, progress=0, error=message,
                           encounter_id=None)


_UNFINISHED = AnalysisJob.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value))


def _gone(job: AnalysisJob, cutoff: datetime) -> bool:
    """Whether the server process that took `job` is no more (only knowable on this host)."""
    host, pid = [*job.runner.split(":"), ""][:2]
    if host != HOST:
        return job.updated_at < cutoff  # another host's process: judged by its heartbeat
    if job.runner == RUNNER:
        return False
    if not pid.isdigit() or int(pid) == os.getpid():
        return True  # this pid in an earlier life (a container restarts as pid 1 again)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _fail_unfinished(session: Session, job_ids: Collection[int]) -> int:
    jobs = session.scalars(
        select(AnalysisJob).where(AnalysisJob.id.in_(list(job_ids)), _UNFINISHED)
    ).all()
    now = utcnow()
    for job in jobs:
        job.status, job.error = JobStatus.FAILED.value, INTERRUPTED
        job.finished_at = job.updated_at = now
    session.commit()
    return len(jobs)


def recover(session: Session, *, stale_after: timedelta = timedelta(minutes=30)) -> int:
    """Mark failed every unfinished job whose server process is gone; how many.

    A job of a dead process on this host is failed at once; one from another host only when it
    has not moved for `stale_after` (a neighbour server may still be working on it).
    """
    cutoff = utcnow() - stale_after
    candidates = session.scalars(select(AnalysisJob).where(_UNFINISHED)).all()
    gone = [job.id for job in candidates if _gone(job, cutoff)]
    if not gone:
        return 0
    failed = _fail_unfinished(session, gone)
    log.warning("%d analysis job(s) interrupted by a restart were marked failed", failed)
    return failed
