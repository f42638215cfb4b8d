"""503 "busy, try again" for a held lock, a statement past its timeout, or a full queue.

A lock another connection holds used to freeze a request without limit (issue 11, finding 6).
With the database timeouts (`bedside.db.session.DatabaseTimeouts`) the statement fails fast;
this turns that failure, and `Busy`, into an answer the user can act on, not a 500.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError

from bedside.db.session import is_busy
from bedside.errors import Busy
from bedside.web import templating

__all__ = ["MESSAGE", "add_busy_handlers"]

MESSAGE = "The database is busy (another task holds what this request needs); try again in a moment."


def _busy(request: Request, message: str) -> Response:
    headers = {"retry-after": "2"}
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=503, headers=headers)
    response = templating.render(request, "error.html", {"status": 503, "message": message},
                                 status_code=503)
    response.headers.update(headers)
    return response


def add_busy_handlers(app: FastAPI) -> None:
    """Register the 503 answers on the app."""

    @app.exception_handler(Busy)
    async def _queue_full(request: Request, exc: Busy) -> Response:
        return _busy(request, str(exc) or MESSAGE)

    @app.exception_handler(DBAPIError)
    async def _database_busy(request: Request, exc: DBAPIError) -> Response:
        if is_busy(exc):
            return _busy(request, MESSAGE)
        raise exc
