"""Return text made legal XML 1.0: characters XML cannot hold at all are left out."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

# C0 controls but tab, newline and return; lone surrogates; the two non-characters.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def legal(text: str) -> str:
    return _ILLEGAL.sub("", text)


def xml_text(text: str) -> str:
    """Element content."""
    return escape(legal(text))


def xml_attr(text: str) -> str:
    """An attribute value, quoted."""
    return quoteattr(legal(text))
