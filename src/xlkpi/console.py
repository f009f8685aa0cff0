"""What xlkpi prints to a terminal: text from a return can move the cursor, recolour or
clear the screen, rewrite a line (CR), or reverse what follows it (bidi overrides). All
of that is shown escaped instead, so a message reads as what the file holds.

Escaped: C0 controls but tab and line feed (ESC, so every escape sequence, BEL, CR,
backspace ...), DEL, C1 controls (CSI U+009B starts a sequence on some terminals), the
bidi controls (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069), line and paragraph
separators, and lone surrogates (a file name that is not UTF-8). Each becomes \\uHHHH,
which a JSON string (`check --json`) reads back as the same character.
"""

from __future__ import annotations

import re
from typing import IO, Any

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def safe(text: str) -> str:
    """The text with every character that acts on a terminal escaped (see the module)."""
    return _UNSAFE.sub(_escaped, text)


class Console:
    """A text stream whose writes are escaped by `safe`; everything else is the stream's.
    `raw` is the stream itself, for xlkpi's own control output (the progress line's CR)."""

    def __init__(self, stream: IO[str]) -> None:
        self.raw = stream

    def write(self, text: str) -> int:
        return self.raw.write(safe(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def console(stream: IO[str]) -> Any:
    """The stream wrapped in Console (once)."""
    return stream if isinstance(stream, Console) else Console(stream)
