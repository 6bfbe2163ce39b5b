"""What both HTTP edges answer with for security: the site's Content-Security-Policy."""

from __future__ import annotations

from typing import Final

# On every answer, pages and API alike (issue 18 item 13). Scripts and styles come only from the site's own
# files: no inline script or style, no eval, so an injected tag does nothing. A response that needs more (the
# printable document's inline style) sets its own Content-Security-Policy, which is then left alone.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
