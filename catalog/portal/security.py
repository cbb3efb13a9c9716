"""Portal sessions, CSRF tokens and per-client rate limits.

- Every visitor gets a random client cookie (`kf_client`, HttpOnly, SameSite=Strict). Each form that
  changes state carries a CSRF token, HMAC(server secret, client cookie); a POST without the cookie,
  with a wrong token or with a foreign `Origin` is refused with 403. A cross-site page can neither read
  the cookie nor compute the token.
- A steward who logs in gets a new random session id (`kf_steward`, HttpOnly, SameSite=Strict), kept
  on the server with its expiry: logout deletes it, and it stops working after `session_seconds` even
  if the browser keeps the cookie. The cookie holds nothing derived from the steward token.
- Login, applications and objections are limited per client address (sliding window); past the limit
  the portal answers 429 with `Retry-After`, before reading or storing anything.

Sessions, secret and counters live in the portal process: a restart logs stewards out and resets the
counters, and several portal processes do not share them (run one, or put the limits in the proxy).
Behind a reverse proxy every client has the proxy's address: set the limits at the proxy too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

CLIENT_COOKIE = "kf_client"
STEWARD_COOKIE = "kf_steward"
CSRF_FIELD = "csrf"
DEFAULT_SESSION_SECONDS = 8 * 3600
_MAX_TRACKED = 10_000


@dataclass(frozen=True)
class Limit:
    requests: int
    seconds: float


DEFAULT_LIMITS = {
    "login": Limit(10, 300),  # a token is 16+ random bytes; 10 tries in 5 minutes is plenty for a person
    "apply": Limit(10, 3600),
    "objection": Limit(10, 3600),
}


class RateLimiter:
    """Sliding-window counters per (action, client); memory bounded by forgetting the oldest clients."""

    def __init__(self, limits: dict[str, Limit]) -> None:
        self.limits = limits
        self.hits: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def retry_after(self, action: str, client: str) -> int | None:
        """None when the request may go on (and counts it); else the seconds until it may."""
        limit = self.limits.get(action)
        if limit is None:
            return None
        now = time.monotonic()
        window = self.hits.setdefault((action, client), deque())
        self.hits.move_to_end((action, client))
        while window and now - window[0] >= limit.seconds:
            window.popleft()
        if len(window) >= limit.requests:
            return max(1, int(limit.seconds - (now - window[0])) + 1)
        window.append(now)
        while len(self.hits) > _MAX_TRACKED:
            self.hits.popitem(last=False)
        return None


@dataclass
class Sessions:
    """Server-side steward sessions: random ids with an expiry, revoked by logout."""

    lifetime: float = DEFAULT_SESSION_SECONDS
    expiry: dict[str, float] = field(default_factory=dict)

    def create(self) -> str:
        self._forget_expired()
        session = secrets.token_urlsafe(32)
        self.expiry[session] = time.monotonic() + self.lifetime
        return session

    def valid(self, session: str) -> bool:
        expires = self.expiry.get(session)
        if expires is None:
            return False
        if time.monotonic() >= expires:
            del self.expiry[session]
            return False
        return True

    def revoke(self, session: str) -> None:
        self.expiry.pop(session, None)

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for session in [s for s, expires in self.expiry.items() if expires <= now]:
            del self.expiry[session]


class Guard:
    """What the portal's pages and POST handlers ask: the CSRF token, the steward session, the limits."""

    def __init__(self, limits: dict[str, Limit] | None = None, session_seconds: float = DEFAULT_SESSION_SECONDS):
        self.secret = secrets.token_bytes(32)
        self.sessions = Sessions(lifetime=session_seconds)
        self.limiter = RateLimiter(DEFAULT_LIMITS | (limits or {}))

    # --- CSRF ---

    def client_id(self, request: Request) -> str:
        """This visitor's client cookie, or a new one (set on the response by `finish`)."""
        existing = request.cookies.get(CLIENT_COOKIE, "")
        if 20 <= len(existing) <= 100:
            return existing
        if not hasattr(request.state, "new_client"):
            request.state.new_client = secrets.token_urlsafe(24)
        return request.state.new_client

    def csrf_token(self, request: Request) -> str:
        client = self.client_id(request)
        return hmac.new(self.secret, b"csrf\x00" + client.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, request: Request, submitted: str) -> bool:
        if not request.cookies.get(CLIENT_COOKIE):
            return False
        origin = request.headers.get("origin")
        if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
            return False
        return hmac.compare_digest(self.csrf_token(request), submitted or "")

    def finish(self, request: Request, response: Response) -> Response:
        """Set the client cookie on a response to a visitor who had none."""
        new = getattr(request.state, "new_client", None)
        if new:
            response.set_cookie(CLIENT_COOKIE, new, httponly=True, samesite="strict", path="/",
                                secure=request.url.scheme == "https")
        return response

    # --- steward sessions ---

    def is_steward(self, request: Request) -> bool:
        return self.sessions.valid(request.cookies.get(STEWARD_COOKIE, ""))

    def log_in(self, request: Request, response: Response) -> Response:
        self.sessions.revoke(request.cookies.get(STEWARD_COOKIE, ""))  # never keep a session id set before
        response.set_cookie(STEWARD_COOKIE, self.sessions.create(), httponly=True, samesite="strict", path="/",
                            max_age=int(self.sessions.lifetime), secure=request.url.scheme == "https")
        return response

    def log_out(self, request: Request, response: Response) -> Response:
        self.sessions.revoke(request.cookies.get(STEWARD_COOKIE, ""))
        response.delete_cookie(STEWARD_COOKIE, path="/", httponly=True, samesite="strict")
        return response

    # --- limits ---

    def retry_after(self, request: Request, action: str) -> int | None:
        client = request.client.host if request.client else "unknown"
        return self.limiter.retry_after(action, client)
