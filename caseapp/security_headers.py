"""HTTP security headers on every response (Flask-Talisman) and the cookie flags that go with them.

The policy forbids inline script outright: every page keeps its JavaScript in static/js and passes
data through data-* attributes or <script type="application/json"> blocks, so no nonce is needed.
Styles are 'self' only: no template carries a style attribute or a <style> block, bpmn-js sets
element styles through the CSSOM (element.style, not blocked by CSP) and htmx's indicator rules
are a constructed stylesheet (switched off in the queue page's htmx-config anyway).
HSTS: Talisman also sends it when a request merely claims `X-Forwarded-Proto: https`; a browser
ignores HSTS received over plain HTTP (RFC 6797, 8.1), so that claim gains nobody anything.
"""
from __future__ import annotations

from flask import Flask
from flask_talisman import Talisman

# Only what the pages load: the app's own scripts, styles, photos and fonts; images may also be
# data: URIs (bpmn-js's CSS draws small icons that way) and blob: (photos previewed before upload).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
REFERRER_POLICY = "strict-origin-when-cross-origin"
HSTS_MAX_AGE = 365 * 24 * 3600

talisman = Talisman()


def init_security_headers(app: Flask) -> None:
    """Every response (pages, API, static files, error pages) gets the same headers, so no view
    can forget them; HSTS only on requests that really came over HTTPS (see TRUSTED_PROXIES)."""
    talisman.init_app(
        app,
        force_https=False,  # TLS is the reverse proxy's job; the app never redirects on its own
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy=REFERRER_POLICY,
        strict_transport_security=True,
        strict_transport_security_max_age=HSTS_MAX_AGE,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        x_content_type_options=True,
    )
