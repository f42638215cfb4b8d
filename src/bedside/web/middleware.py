"""ASGI middleware: request size limit, CSRF on every unsafe request, security headers.

CSRF is the double-submit scheme of `starlette-csrf` (a signed random token in a `csrftoken`
cookie that the request must echo), extended so that a plain HTML form can echo it in a hidden
`csrf_token` field as well as in the `x-csrftoken` header htmx sends. Requests that carry no
session cookie (API scripts with a bearer token) cannot be forged by a browser and are not
checked, except sign-in, which is (login CSRF).

Cookie names: over HTTPS (or with `cookie_secure`) the session and CSRF cookies are
`__Host-bedside_session` and `__Host-csrftoken`: the prefix makes the browser refuse them unless
they are Secure, Path=/ and without a Domain, so a sibling subdomain cannot plant or overwrite
them (ASVS 3.4.4). Browsers refuse `__Host-` cookies from plain-HTTP origins, so a local
development server on http://127.0.0.1 (and the test client on http://testserver) uses the
unprefixed names; a request is only ever read under the names of its own scheme. The CSRF token
is rotated whenever a response sets a new session cookie (sign-in, the second factor, a password
change), so a token learnt before sign-in is useless after it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_csrf.middleware import CSRFMiddleware

__all__ = [
    "CSRF_COOKIE",
    "SECURE_CSRF_COOKIE",
    "SECURE_SESSION_COOKIE",
    "SESSION_COOKIE",
    "BodyLimitMiddleware",
    "FormCSRFMiddleware",
    "SecurityHeadersMiddleware",
    "add_security_headers",
    "csrf_cookie_name",
    "is_secure",
    "session_cookie_name",
]

SESSION_COOKIE = "bedside_session"  # plain-HTTP development only
SECURE_SESSION_COOKIE = "__Host-bedside_session"
CSRF_COOKIE = "csrftoken"
SECURE_CSRF_COOKIE = "__Host-csrftoken"


def is_secure(scope: Scope, *, cookie_secure: bool = False) -> bool:
    """True when cookies for this request must be Secure (HTTPS, or forced by configuration)."""
    return cookie_secure or scope.get("scheme") == "https"


def session_cookie_name(secure: bool) -> str:
    """The session cookie's name for a secure or a plain-HTTP request."""
    return SECURE_SESSION_COOKIE if secure else SESSION_COOKIE


def csrf_cookie_name(secure: bool) -> str:
    """The CSRF cookie's name for a secure or a plain-HTTP request."""
    return SECURE_CSRF_COOKIE if secure else CSRF_COOKIE


class BodyTooLarge(Exception):
    """The request body is over the limit."""


class BodyLimitMiddleware:
    """Answer 413 to any request body larger than `max_bytes` (checked while streaming)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_bytes // (1024 * 1024)
        response = PlainTextResponse(f"The upload is larger than {limit} MB.", status_code=413)
        await response(scope, receive, send)


class FormCSRFMiddleware(CSRFMiddleware):
    """starlette-csrf's double-submit check, also accepting the token from a form field.

    The token for the page being rendered is put in `request.state.csrf_token` so templates can
    embed it; a visitor without the cookie gets one on the same response.
    """

    def __init__(
        self,
        app: ASGIApp,
        secret: str,
        *,
        sensitive_cookies: set[str] | None = None,
        required_urls: list[re.Pattern[str]] | None = None,
        cookie_secure: bool = False,
        field_name: str = "csrf_token",
    ) -> None:
        super().__init__(
            app, secret, sensitive_cookies=sensitive_cookies, required_urls=required_urls,
            cookie_secure=cookie_secure,
        )
        self.field_name = field_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        secure = is_secure(scope, cookie_secure=self.cookie_secure)
        cookie_name = csrf_cookie_name(secure)
        cookie = request.cookies.get(cookie_name)
        fresh = cookie is None or not self._csrf_tokens_match(cookie, cookie)
        token = self._generate_csrf_token() if fresh else cookie
        scope.setdefault("state", {})["csrf_token"] = token
        if self._must_check(request, secure):
            body, receive = await _buffer(receive)
            submitted = request.headers.get(self.header_name) or await self._form_token(scope, body)
            if fresh or not submitted or not self._csrf_tokens_match(cookie or "", submitted):
                response = PlainTextResponse(
                    "This form has expired or did not come from bedside (CSRF check failed). "
                    "Reload the page and try again.",
                    status_code=403,
                )
                await response(scope, receive, send)
                return

        session_prefix = session_cookie_name(secure) + "="

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                signed_in = any(
                    value.startswith(session_prefix) for value in headers.getlist("set-cookie")
                )
                if fresh or signed_in:  # a new session gets a new CSRF token too
                    value = self._generate_csrf_token() if signed_in else token
                    headers.append("set-cookie", self._cookie(cookie_name, value or "", secure))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, name: str, value: str, secure: bool) -> str:
        cookie_jar: SimpleCookie = SimpleCookie()
        cookie_jar[name] = value
        morsel = cookie_jar[name]
        morsel["path"] = "/"  # required by the __Host- prefix; never a Domain
        morsel["samesite"] = self.cookie_samesite
        morsel["httponly"] = True
        if secure:
            morsel["secure"] = True
        return cookie_jar.output(header="").strip()

    def _must_check(self, request: Request, secure: bool) -> bool:
        if self._url_is_required(request.url):
            return request.method not in self.safe_methods
        return (
            request.method not in self.safe_methods
            and not self._url_is_exempt(request.url)
            and session_cookie_name(secure) in request.cookies
        )

    async def _form_token(self, scope: Scope, body: bytes) -> str | None:
        content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
        if content_type.startswith("application/x-www-form-urlencoded"):
            values = parse_qs(body.decode("utf-8", "replace")).get(self.field_name)
            return values[0] if values else None
        if content_type.startswith("multipart/form-data"):
            form = await Request(scope, _replaying(body)).form()
            try:
                value = form.get(self.field_name)
                return value if isinstance(value, str) else None
            finally:
                await form.close()
        return None


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, _replaying(body, receive)


def _replaying(body: bytes, then: Receive | None = None) -> Callable[[], Awaitable[Message]]:
    """A `receive` that hands the buffered body to the app again, then defers to `then`."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return replay


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)


def add_security_headers(headers: MutableHeaders, scope: Scope) -> None:
    """Add the security headers a response lacks (a route may set its own, e.g. the docs' CSP).

    Also called by the app's 500 handler, whose response is sent outside every middleware.
    """
    path = scope.get("path", "")
    headers.setdefault("x-content-type-options", "nosniff")
    headers.setdefault("referrer-policy", "same-origin")
    headers.setdefault("x-frame-options", "DENY")
    headers.setdefault("content-security-policy", CSP)
    if scope.get("scheme") == "https":
        headers.setdefault("strict-transport-security", "max-age=31536000")
    if not path.startswith("/static/"):
        headers.setdefault("cache-control", "no-store")
    if path.startswith("/api/"):  # ASVS 14.4.2: a browser opened on an API URL saves, not renders
        headers.setdefault("content-disposition", 'attachment; filename="api.json"')


class SecurityHeadersMiddleware:
    """Content-Security-Policy and friends on every response; HSTS when served over HTTPS.

    Add it last (outermost) so that responses made by the other middleware, a 413 or a CSRF
    403, carry the headers too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), scope)
            await send(message)

        await self.app(scope, receive, send_with_headers)
