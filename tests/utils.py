from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit


def text(response: Any) -> str:
    """The response body as a reader sees it (entities such as &#x27; decoded)."""
    return html.unescape(response.content.decode())


def path_of(url: str) -> str:
    """The path (and query) of an absolute link found in an e-mail, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
