"""Encounters: upload and analyse a consultation, list, open, share and export them.

The transcript is read and analysed before anything touches the database, and the encounter and
its audit event are committed together: a bad file or a failed analysis stores nothing.

An upload is three steps, so that the web app can run each where it belongs (issue 11,
finding 6): `check` (permissions, sizes, the patient) in the request, `read` in a reader process
with a time limit (`bedside.services.parsing`), then the analysis and `store` in a worker thread
(`bedside.services.jobs`). `upload` does all three in the caller's thread (CLI, demo, tests).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from bedside.db import repos
from bedside.db.tables import Encounter, EncounterShare, User, UserRole
from bedside.errors import BedsideError, FormatError, ModelError, NotFound, PermissionDenied
from bedside.model import AnalysisReport, Conversation
from bedside.services import access, audit, grants

if TYPE_CHECKING:
    from bedside.services.parsing import ParsePool

__all__ = [
    "MAX_FILES",
    "MAX_UPLOAD_BYTES",
    "CheckedUpload",
    "DefaultPipeline",
    "EncounterPage",
    "Pipeline",
    "Upload",
    "check",
    "export_html",
    "get",
    "list_page",
    "read",
    "share",
    "store",
    "store_and_route",
    "upload",
]

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_FILES = 8


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name (which picks the reader) and its bytes."""

    name: str
    data: bytes


class Pipeline(Protocol):
    """Reads uploaded files into one conversation and analyses it (swappable in tests).

    The web app calls `read` on a fresh instance of the class in a reader process (see
    `bedside.services.parsing`), so a pipeline class must be importable and need no arguments.
    """

    def read(self, files: Sequence[Upload]) -> Conversation:
        """One conversation from the files (several files are merged onto one timeline)."""
        ...

    def analyse(self, conversation: Conversation) -> AnalysisReport:
        """The analysis of the conversation."""
        ...


class DefaultPipeline:
    """The real readers (`bedside.io`) and engine (`bedside.engine`) with the shipped labeller.

    The labeller is loaded once per process, on the first upload, not at import time, so that
    the server starts fast and pages that never analyse never pay for the model.
    """

    def __init__(self) -> None:
        self._labeller: Any = None
        self._loaded = False
        self._lock = threading.Lock()

    def read(self, files: Sequence[Upload]) -> Conversation:
        """Read every file; merge them when there are several (one TextGrid per speaker)."""
        from bedside.io import merge_conversations, read_conversations

        conversations: list[Conversation] = []
        for upload in files:
            found = list(read_conversations(upload.name, data=upload.data))
            if len(files) == 1 and len(found) > 1:
                raise FormatError(
                    f"the file holds {len(found)} conversations; upload one consultation at a time",
                    source=upload.name,
                )
            conversations.extend(found)
        if not conversations or not any(c.turns for c in conversations):
            raise FormatError("no speech turns were found in the upload", source=files[0].name)
        if len(conversations) == 1:
            return conversations[0]
        return merge_conversations(conversations)

    def labeller(self) -> Any:
        """The process-wide labeller, loaded on first use.

        Without usable model weights the engine still runs on its rules (metrics, cues, questions)
        and the warning says so once; an upload never fails because the models are missing.
        """
        with self._lock:
            if not self._loaded:
                from bedside.nlp import load_labeller

                try:
                    self._labeller = load_labeller()
                except ModelError as error:
                    log.warning("analysing without language models: %s", error)
                    self._labeller = None
                self._loaded = True
        return self._labeller

    def analyse(self, conversation: Conversation) -> AnalysisReport:
        """Analyse with the shipped labeller (and the optional LLM rewrite of suggestions)."""
        from bedside.config import Settings
        from bedside.engine import analyse
        from bedside.services.rewrite import rewrite_suggestions

        report: AnalysisReport = analyse(conversation, labeller=self.labeller())
        # Off unless BEDSIDE_LLM_URL names an endpoint; any failure keeps the template suggestion.
        return rewrite_suggestions(report, settings=Settings())


def _summary(document: dict[str, Any]) -> dict[str, Any]:
    opportunities = document.get("opportunities") or []
    share = (document.get("metrics") or {}).get("talk_time_share") or {}
    score = (document.get("score") or {}).get("compassion")
    return {
        "turn_count": len(document.get("turns") or []),
        "score": int(score) if score is not None else None,
        "clinician_share": share.get("clinician"),
        "cues": len(opportunities),
        "missed": sum(1 for o in opportunities if o.get("response") == "missed"),
        "risk_turns": len((document.get("metrics") or {}).get("risk_turns") or []),
    }


@dataclass(frozen=True)
class CheckedUpload:
    """Files that passed the upload checks, and the patient account they will be linked to."""

    files: tuple[Upload, ...]
    patient_id: int | None


def check(
    session: Session, actor: User, files: Sequence[Upload], *, patient_email: str = ""
) -> CheckedUpload:
    """The checks made before any reading: role, file count and size, the patient account.

    Raises:
        PermissionDenied: the role may not upload, or the patient account is not in the
            organisation.
        FormatError: no file, too many files, or too many bytes.
    """
    if actor.user_role not in access.UPLOAD_ROLES:
        raise PermissionDenied(f"a {actor.role} account cannot upload consultations")
    files = [f for f in files if f.name or f.data]
    if not files:
        raise FormatError("choose at least one transcript file", source="upload")
    if len(files) > MAX_FILES:
        raise FormatError(f"at most {MAX_FILES} files make one consultation", source="upload")
    if sum(len(f.data) for f in files) > MAX_UPLOAD_BYTES:
        raise FormatError(
            f"the upload is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB", source="upload"
        )
    patient = None
    if patient_email.strip():
        patient = repos.organisation_user_by_email(
            session, patient_email, organisation_id=actor.organisation_id
        )
        if patient is None or patient.user_role is not UserRole.PATIENT:
            raise PermissionDenied("no patient account with that e-mail in your organisation")
        grants.require_link_allowed(session, actor, patient)
    return CheckedUpload(files=tuple(files), patient_id=patient.id if patient else None)


def read(
    pipeline: Pipeline,
    checked: CheckedUpload,
    *,
    parser: ParsePool | None = None,
    timeout_s: float = 10.0,
) -> Conversation:
    """The conversation in the files: in a reader process under `timeout_s` when `parser` is
    given, else in this thread (trusted callers: the CLI and the demo's bundled samples)."""
    if parser is None:
        return pipeline.read(checked.files)
    return parser.read(pipeline, checked.files, timeout_s=timeout_s)


def store(
    session: Session,
    actor: User,
    checked: CheckedUpload,
    conversation: Conversation,
    report: AnalysisReport,
    *,
    title: str = "",
    ip: str | None = None,
) -> Encounter:
    """Add the analysed encounter and its `encounter.upload` audit event (the caller commits)."""
    document = report.to_json()
    encounter = Encounter(
        organisation_id=actor.organisation_id,
        owner_id=actor.id,
        patient_id=checked.patient_id,
        title=(title.strip() or conversation.id)[:200],
        source_name=", ".join(PurePath(f.name).name for f in checked.files)[:500],
        conversation=conversation.model_dump(mode="json"),
        analysis=document,
        report=report.model_dump(mode="json"),
        **_summary(document),
    )
    session.add(encounter)
    session.flush()
    audit.record(
        session, actor, "encounter.upload", f"encounter:{encounter.id}", ip=ip,
        detail=f"files={len(checked.files)} turns={encounter.turn_count}",
    )
    return encounter


def upload(
    session: Session,
    actor: User,
    files: Sequence[Upload],
    *,
    pipeline: Pipeline,
    title: str = "",
    patient_email: str = "",
    ip: str | None = None,
) -> Encounter:
    """Check, read, analyse and store one consultation in this thread; audited as
    `encounter.upload`.

    Raises:
        PermissionDenied: the role may not upload, or the patient account is not in the
            organisation.
        FormatError: a file could not be read (the message names file and line).
    """
    checked = check(session, actor, files, patient_email=patient_email)
    conversation = read(pipeline, checked)
    report = pipeline.analyse(conversation)
    encounter = store_and_route(
        session, actor.id, checked, conversation, report, title=title, ip=ip
    )
    log.info("encounter %s stored (%d turns)", encounter.id, encounter.turn_count)
    return encounter


RISK_FLAG_KIND = "transcript_risk"
"""The safety flag a risk turn in an uploaded consultation raises (`safety_routing.raise_flag`)."""

RISK_FLAG_ONLY = (
    "the consultation could not be stored, but its risk flag and the care team's urgent task were. "
    "Upload the file again"
)
"""What the uploader is told when the flag was stored and the encounter was not."""


def store_and_route(
    session: Session,
    actor_id: int,
    checked: CheckedUpload,
    conversation: Conversation,
    report: AnalysisReport,
    *,
    title: str = "",
    ip: str | None = None,
    also: Callable[[Session, Encounter], None] | None = None,
) -> Encounter:
    """Store and commit the analysed encounter; with risk turns and a linked patient, flag first.

    `also` makes the caller's change in the same transaction (the job row marked done).

    A risk turn in a consultation linked to a patient goes through the one safety path that
    check-ins use (`safety_routing.raise_flag`): the `transcript_risk` flag is committed first,
    then the encounter with the urgent task for the patient's care team (else the duty
    clinician, else every clinician), the encounter's id written into the flag. The flag's detail
    holds turn numbers and categories, never the words. If the flag cannot be stored the
    encounter is stored anyway (its report leads with the risk); if the encounter cannot be
    stored the flag and its task stand and the caller's error says nothing was stored.

    An encounter not linked to a patient has nobody to route a task to: its report and progress
    page lead with the risk block and the encounters list marks it (`Encounter.risk_turns`), so
    the uploader, who was in the consultation, sees it. See docs/analysis.md.

    Raises:
        NotFound: the uploading account was removed meanwhile (nothing stored).
        BedsideError: the encounter could not be stored after its risk flag was.
    """
    from bedside.services import safety_routing

    def add(inner: Session) -> Encounter:
        actor = inner.get(User, actor_id)
        if actor is None:
            raise NotFound("the uploading account was removed during the analysis")
        encounter = store(inner, actor, checked, conversation, report, title=title, ip=ip)
        if also is not None:
            also(inner, encounter)
        return encounter

    risks = [r for r in report.metrics.extra.get("risk_turns") or () if isinstance(r, Mapping)]
    patient = session.get(User, checked.patient_id) if checked.patient_id is not None else None
    if risks and patient is not None:
        stored: list[int] = []

        def record(inner: Session) -> safety_routing.StoredRecord:
            encounter = add(inner)
            stored.append(encounter.id)
            return safety_routing.StoredRecord(key="encounter_id", id=encounter.id)

        detail = {
            "turns": [r.get("turn") for r in risks],
            "categories": sorted(
                {str(c) for r in risks for c in r.get("categories") or [r.get("category")]}
            ),
            "ruleset": report.ruleset,
        }
        outcome = safety_routing.raise_flag(
            session, patient, "transcript", RISK_FLAG_KIND, detail, ip=ip, store_record=record
        )
        if outcome.record_stored and stored:
            found = session.get(Encounter, stored[-1])
            if found is not None:
                return found
        if outcome.flag_stored:
            log.error("risk flag %s stored; its encounter was not", list(outcome.flag_ids))
            raise BedsideError(RISK_FLAG_ONLY)
        log.critical("risk turns in an upload for patient %s: no flag stored", checked.patient_id)
    encounter = add(session)
    session.commit()
    return encounter


@dataclass(frozen=True)
class EncounterPage:
    """One page of the encounters an account may open."""

    items: Sequence[Encounter]
    total: int
    offset: int
    limit: int


def list_page(
    session: Session, actor: User, *, offset: int = 0, limit: int = 20, ip: str | None = None
) -> EncounterPage:
    """The encounters this account may open, newest first; audited as `encounter.list`."""
    if actor.user_role in access.AGGREGATE_ROLES:
        raise PermissionDenied(f"a {actor.role} account sees aggregates, not encounters")
    offset = max(0, offset)
    limit = min(max(1, limit), 100)
    query = access.visible_encounters(session, actor)
    org = actor.organisation_id
    items = repos.page(session, query, organisation_id=org, offset=offset, limit=limit)
    total = repos.count(session, query, organisation_id=org)
    audit.record(session, actor, "encounter.list", "encounter", ip=ip, detail=f"rows={len(items)}")
    session.commit()
    return EncounterPage(items=items, total=total, offset=offset, limit=limit)


def get(
    session: Session, actor: User, encounter_id: int, *, action: str = "view", ip: str | None = None
) -> Encounter:
    """Open one encounter the account may see; audited as `encounter.<action>`.

    An encounter the caller may not see is reported as not found (its existence is not leaked),
    and the refused attempt is audited too.
    """
    encounter = session.get(Encounter, encounter_id)
    if encounter is None or not access.can_view(session, actor, encounter):
        if encounter is not None:
            audit.record(session, actor, "access.denied", f"encounter:{encounter_id}", ip=ip)
            session.commit()
        raise NotFound(f"no encounter {encounter_id}")
    audit.record(session, actor, f"encounter.{action}", f"encounter:{encounter.id}", ip=ip)
    session.commit()
    return encounter


def share(
    session: Session,
    actor: User,
    encounter_id: int,
    email: str,
    *,
    patient_consent: bool = False,
    ip: str | None = None,
) -> User:
    """Share an own encounter with a clinician, learner or educator of the same organisation.

    A consultation linked to a patient is their data: the owner confirms the patient agreed
    (`patient_consent`), and the share's audit event records it (issue 11, finding 5).
    """
    encounter = get(session, actor, encounter_id, action="view", ip=ip)
    if not access.can_share(actor, encounter):
        raise PermissionDenied("only the owner can share an encounter")
    if encounter.patient_id is not None and not patient_consent:
        raise PermissionDenied(
            "this consultation is linked to a patient: confirm that they agreed to share it "
            "with this colleague"
        )
    other = repos.organisation_user_by_email(session, email, organisation_id=actor.organisation_id)
    if (
        other is None
        or other.user_role not in access.UPLOAD_ROLES
        or other.id == actor.id
    ):
        raise PermissionDenied("no clinician, learner or educator with that e-mail in your organisation")
    if other.id not in repos.shared_user_ids(
        session, encounter.id, organisation_id=actor.organisation_id
    ):
        session.add(EncounterShare(encounter_id=encounter.id, user_id=other.id))
        audit.record(
            session, actor, "encounter.share", f"encounter:{encounter.id}", ip=ip,
            detail=f"with_user={other.id}"
            + (" patient_consent=recorded" if encounter.patient_id is not None else ""),
        )
        session.commit()
    return other


def report_of(encounter: Encounter) -> AnalysisReport | None:
    """The stored analysis as the domain object, when it still parses (None otherwise)."""
    try:
        return AnalysisReport.model_validate(encounter.report)
    except ValueError:
        return None


def export_html(encounter: Encounter) -> str | None:
    """The self-contained HTML report (`bedside.report.render_html`), or None if unavailable."""
    try:
        from bedside.report import render_html
    except ImportError:
        return None
    report = report_of(encounter)
    if report is None:
        return None
    html: str = render_html(report)
    return html
