"""Security headers on every HTTP response: CSP, no framing, no sniffing, no referrer, camera/mic for self only."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The pages load only their own scripts and styles (no inline code); media and snapshots are shown from blob:
# and same-origin URLs; the signaling WebSocket is same-origin ('self' covers ws:/wss: in CSP Level 3).
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
))
PERMISSIONS_POLICY = ("camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=(), "
                      "interest-cohort=()")
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(*, tls: bool) -> dict[str, str]:
    """The headers every response carries (HSTS only when this server itself speaks TLS)."""
    headers = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",  # join links carry tokens in the fragment; never pass a URL on
        "permissions-policy": PERMISSIONS_POLICY,
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "same-origin",
    }
    if tls:
        headers["strict-transport-security"] = HSTS
    return headers


class SecurityHeaders:
    """ASGI middleware adding security_headers() to every HTTP response (a route's own values win)."""

    def __init__(self, app: ASGIApp, *, tls: bool = False) -> None:
        self.app = app
        self._headers = security_headers(tls=tls)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self._headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
