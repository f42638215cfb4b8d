"""The posted form, parsed on the event loop and handed to a synchronous route.

Parsing a request body must be awaited, but a route that then scores answers or writes to the
database must not run on the event loop (issue 11, finding 6). With this dependency the route
is a plain `def`, so FastAPI runs it in its thread pool:

    @router.post("/checkins/{instrument_id}")
    def submit(request: Request, session: SessionDep, form: PostedForm) -> Any: ...
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

__all__ = ["PostedForm", "posted_form"]


async def posted_form(request: Request) -> FormData:
    """The request's form fields (parsed once; Starlette caches them on the request)."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]
