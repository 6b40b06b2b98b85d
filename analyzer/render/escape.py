"""What every output format needs before a bundle's or a rule pack's text reaches a reader:
invisible controls made visible, and links limited to the web.

Bundles and rule packs are untrusted (docs/security.md): a log line may carry a right-to-left
override (U+202E) that makes ``exe.txt`` read as ``txt.exe`` in a ticket, or a terminal escape;
a rule's reference may be a ``javascript:`` URL. The format modules (Markdown, HTML, terminal)
call these before their own escaping, so the three show the same thing.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

#: Bidirectional controls (embeddings, overrides, isolates, marks) and the C0 and C1 controls
#: but tab and newline, and DEL: characters that reorder or hide what is shown, or drive a
#: terminal. Each is shown as its code point, so the reader sees that it was there.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: the schemes a report links to; anything else is shown as text, not as a link
LINK_SCHEMES = ("http", "https")
# RFC 3986 reserved and unreserved characters, and "%" for what is already encoded: kept as
# they are; everything else (spaces, quotes, <, >, backticks, non-ASCII) is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


def visible(text: Any) -> str:
    """``text`` with each bidi control and control character (tab and newline excepted)
    replaced by its code point between single guillemets: U+202E shows as ``\u2039U+202E\u203a``."""
    return _INVISIBLE.sub(lambda m: f"\u2039U+{ord(m.group()):04X}\u203a", str(text))


def link_target(url: Any) -> str | None:
    """``url`` as a safe link target (an absolute http or https URL, percent-encoded where it
    must be), or None when it must not be a link: a ``javascript:`` or ``data:`` URL, a
    relative path, text that is no URL."""
    value = str(url).strip()
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    return quote(value, safe=_URL_SAFE)


def html_escape(text: Any) -> Markup:
    """Text for HTML (an element's content or an attribute value): controls made visible,
    then escaped."""
    if isinstance(text, Markup):
        return text
    return escape(visible(text))
