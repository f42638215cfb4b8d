"""The FastAPI application factory.

    app = create_app()                      # settings from the environment
    app = create_app(database=db, pipeline=fake, secret_key="x" * 32)   # tests

Bedside errors become HTTP answers in one place: `NotSignedIn` → sign-in page (or 401 under
`/api`), `PermissionDenied` → 403, `NotFound` → 404, `FormatError` → 400; anything else → a
plain 500 page that still carries the security headers.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import re
import secrets
from datetime import timedelta
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bedside import __version__
from bedside.config import Settings
from bedside.errors import BedsideError, FormatError, NotFound, PermissionDenied, SealedDataError
from bedside.instruments import crisis_resources
from bedside.logsafe import install_log_redaction
from bedside.services.database import Database, open_database, resolve_secret_key
from bedside.services.encounters import MAX_UPLOAD_BYTES, DefaultPipeline, Pipeline
from bedside.web import templating
from bedside.web.busy import add_busy_handlers
from bedside.web.deps import NotSignedIn, add_account_setup_handler
from bedside.web.lifespan import job_runner, lifespan
from bedside.web.middleware import (
    CSP,
    SESSION_COOKIE,
    BodyLimitMiddleware,
    FormCSRFMiddleware,
    SecurityHeadersMiddleware,
    add_security_headers,
)
from bedside.web.routes import route_modules
from bedside.web.throttle import make_throttle
from bedside.web.timeouts import RequestTimeoutMiddleware

__all__ = ["create_app"]

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
SWAGGER = "/static/vendor/swagger-ui"


def create_app(
    *,
    settings: Settings | None = None,
    database: Database | None = None,
    pipeline: Pipeline | None = None,
    secret_key: str | None = None,
    cookie_secure: bool = False,
) -> FastAPI:
    """Build the app: middleware, routers (including colleagues' optional ones), error pages.

    Args:
        settings: environment settings (read afresh when None).
        database: an open database (opened from the settings when None).
        pipeline: reader + analyser for uploads (the real one when None).
        secret_key: signs CSRF tokens (from the settings, or the demo's stored key, when None).
        cookie_secure: mark cookies Secure even on plain HTTP (set behind a TLS proxy that does not
            forward the scheme); over HTTPS they are Secure anyway.
    """
    install_log_redaction()  # no health data in any log line, whoever logs it
    settings = settings or Settings()
    app = FastAPI(
        title="bedside",
        version=__version__,
        description="Consultation empathy analysis. The JSON API lives under /api/v1; "
        "authenticate with `Authorization: Bearer <token>` (make a token on the Account page).",
        docs_url=None,  # served below from vendored files: no CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.db = database or open_database(settings=settings)
    app.state.pipeline = pipeline or DefaultPipeline()
    app.state.jobs = job_runner(settings, app.state.db, app.state.pipeline)
    app.state.login_throttle = make_throttle(settings.redis_url)
    app.state.cookie_secure = cookie_secure
    app.state.session_idle = timedelta(minutes=settings.session_idle_minutes)

    key = secret_key or resolve_secret_key(settings)
    app.add_middleware(RequestTimeoutMiddleware, seconds=settings.request_timeout_s)
    app.add_middleware(
        FormCSRFMiddleware,
        secret=key,
        sensitive_cookies={SESSION_COOKIE},
        required_urls=[re.compile(r"^/login$")],
        cookie_secure=cookie_secure,
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_UPLOAD_BYTES + 256 * 1024)
    # Keep this the last middleware added: the last is outermost, so every response made by the
    # others (a 413, a CSRF 403, a timeout) passes through it and carries the headers.
    app.add_middleware(SecurityHeadersMiddleware)

    app.mount("/static", StaticFiles(directory=str(files("bedside.web") / "static")), name="static")
    for module in route_modules():
        app.include_router(module.router)
        templating.NAV.extend(
            item for item in getattr(module, "NAV", []) if item not in templating.NAV
        )
    _add_error_handlers(app)
    add_busy_handlers(app)
    add_account_setup_handler(app)

    @app.get("/docs", include_in_schema=False)
    def docs() -> Response:
        """Swagger UI for the API, from the vendored `swagger-ui-dist` 5.35.0 (npm)."""
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="bedside API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        )
        page.headers["content-security-policy"] = _docs_csp(bytes(page.body))
        return page

    return app


def _docs_csp(page: bytes) -> str:
    """The site's CSP, allowing also the one inline script of the Swagger page, by its hash.

    The page's own script starts Swagger UI; naming its SHA-256 lets it run while any other
    inline script (an injected one) stays blocked, so /docs needs no 'unsafe-inline'.
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode("ascii") + "'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return CSP.replace("script-src 'self'", f"script-src 'self' {hashes}".rstrip())


_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _problem(request: Request, status: int, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    _forget_unloadable_user(request)
    return templating.render(
        request, "error.html",
        {"status": status, "message": message, "crisis_lines": crisis_resources().resources},
        status_code=status,
    )


def _forget_unloadable_user(request: Request) -> None:
    """Drop the caller from the error page when their row can no longer be read.

    An error raised by a failed commit (a NUL character refused by the database, say) comes
    after the rollback expired every row and the request's session was closed: reading the
    caller's name for the page header would fail and turn a 400 into a 500.
    """
    user = getattr(request.state, "user", None)
    if user is None:
        return
    try:
        _ = user.display_name, user.role
    except SQLAlchemyError:
        request.state.user = None


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # The API keeps FastAPI's 422 body (it is in the schema); a page gets an error page that
        # names the fields, never echoing what was sent.
        if _wants_json(request):
            return await request_validation_exception_handler(request, exc)
        fields = sorted({str(error["loc"][-1]) for error in exc.errors() if error.get("loc")})
        return _problem(request, 422, "This was missing or not valid: " + ", ".join(fields) + ".")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request) or exc.status_code < 400:
            return await http_exception_handler(request, exc)
        message = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        response = _problem(request, exc.status_code, message)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, _exc: Any) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": "sign in: send Authorization: Bearer <API token>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(PermissionDenied)
    async def _denied(request: Request, exc: Any) -> Response:
        return _problem(request, 403, str(exc) or "You may not do this.")

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: Any) -> Response:
        return _problem(request, 404, str(exc) or "Not found.")

    @app.exception_handler(FormatError)
    async def _bad_input(request: Request, exc: Any) -> Response:
        return _problem(request, 400, str(exc))

    @app.exception_handler(SealedDataError)
    async def _sealed(request: Request, exc: Any) -> Response:
        # Stored data that does not decrypt is the server's fault, not the request's: a 500, and a
        # log line naming the column and key id (never the content) for the operator.
        log.error("stored data failed to decrypt on %s %s: %s", request.method, request.url.path, exc)
        return _problem(request, 500, "Stored data could not be read. Tell your administrator.")

    @app.exception_handler(BedsideError)
    async def _other(request: Request, exc: Any) -> Response:
        return _problem(request, 400, str(exc))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        # Starlette sends this from its outermost layer, past every middleware, so the security
        # headers are added here. No template: the failure may be the database the page needs.
        # A reference the user can quote and support can find in the log (ASVS 7.4.1).
        reference = secrets.token_hex(6)
        log.error("internal error %s on %s %s: %s", reference, request.method, request.url.path,
                  type(exc).__name__)
        message = INTERNAL_ERROR.format(reference=reference)
        response: Response
        if _wants_json(request):
            response = JSONResponse({"detail": message, "reference": reference}, status_code=500)
        else:
            response = HTMLResponse(_INTERNAL_PAGE.format(message=message), status_code=500)
        add_security_headers(response.headers, request.scope)
        return response


INTERNAL_ERROR = (
    "Something went wrong on our side; it was logged as {reference}. Try again in a minute."
)


def _crisis_block() -> str:
    """Help lines for the plain 500 page, from the crisis data file (no database, no template).

    A failure can meet a patient at the worst moment (a check-in with item 9, a message about
    self-harm); every error page therefore carries the crisis lines.
    """
    lines = "".join(
        f"<li>{html.escape(line.name)}: {html.escape(line.contact)}</li>"
        for line in crisis_resources().resources
    )
    return (
        '<aside aria-label="Getting help now"><p>If you are in danger now, or might act on '
        f"thoughts of harming yourself, get help straight away:</p><ul>{lines}</ul></aside>"
    )


_INTERNAL_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>500</title></head>'
    "<body><h1>Something went wrong</h1><p>{message}</p>"
    '<p><a href="/">Back to the dashboard</a></p>'
    + _crisis_block().replace("{", "{{").replace("}", "}}")
    + "</body></html>"
)
