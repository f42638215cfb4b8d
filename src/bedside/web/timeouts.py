"""A slow-request limit: an ordinary request still unanswered after `seconds` gets a 503.

The user learns at once that the server is struggling instead of watching a spinner, and the
worker thread's own limits (the database's statement and lock timeouts) end the work behind it;
a Python thread cannot be killed, so the late result is dropped, not stopped. Uploads are
exempt: they read under their own limit (`BEDSIDE_PARSE_TIMEOUT_S`) and analyse as a job.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["UPLOADS", "RequestTimeoutMiddleware"]

log = logging.getLogger(__name__)

UPLOADS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("POST", re.compile(r"^/encounters$")),
    ("POST", re.compile(r"^/api/v1/encounters$")),
)

MESSAGE = (
    "The server took too long to answer. The request may still finish: check before you try "
    "again in a moment."
)


class RequestTimeoutMiddleware:
    """Answer 503 (with Retry-After) to a request not answered within `seconds`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        seconds: float,
        exempt: Sequence[tuple[str, re.Pattern[str]]] = UPLOADS,
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.exempt = tuple(exempt)

    def _is_exempt(self, scope: Scope) -> bool:
        method, path = scope.get("method", ""), scope.get("path", "")
        return any(method == m and pattern.match(path) for m, pattern in self.exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._is_exempt(scope):
            await self.app(scope, receive, send)
            return
        answered = False
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return  # we gave up on this request and have already answered it
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.seconds)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done or started:
            await task  # finished, or already streaming its answer: let it end as it will
            return
        answered = True
        task.cancel()
        task.add_done_callback(_drop_late_result)
        log.warning("%s %s unanswered after %.1f s: 503", scope.get("method"), scope.get("path"),
                    self.seconds)
        await _timeout_response(scope)(scope, receive, send)


def _timeout_response(scope: Scope) -> Response:
    headers = {"retry-after": "5"}
    if str(scope.get("path", "")).startswith("/api/"):
        return JSONResponse({"detail": MESSAGE}, status_code=503, headers=headers)
    return PlainTextResponse(MESSAGE, status_code=503, headers=headers)


def _drop_late_result(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("a request answered 503 for slowness later failed (%s)",
                    type(task.exception()).__name__)
