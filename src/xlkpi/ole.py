"""What an Office 97-2003 compound (OLE) file is: a password-protected workbook, an old
.xls, or something else, told by its streams with olefile (pure Python, so the page has
it too).

Nothing is ever decrypted, so no cryptography is needed: Excel saves a workbook with a
password to open as an OLE file holding EncryptionInfo and EncryptedPackage streams
(MS-OFFCRYPTO 2.3.4), and an .xls with one as a Workbook stream whose globals
substream has a FilePass record (MS-XLS 2.4.117). These are the tests msoffcrypto-tool's
is_encrypted() makes; tests/test_ole.py checks the two agree.
"""

from __future__ import annotations

import io
import struct

import olefile

_BOF, _EOF, _FILEPASS = 0x0809, 0x000A, 0x002F
_GLOBALS_RECORDS = 100_000  # a globals substream is a few thousand records long


def ole_kind(data: bytes) -> tuple[str, str]:
    """A problem code and detail for the OLE file `data`: encrypted, old-xls or not-excel."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # olefile raises several types for a damaged directory or FAT
        detail = f"Office 97-2003 形式のファイルが壊れています: {type(exc).__name__}"
        return ("corrupt-file", detail[:200])
    try:
        if ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"):
            return ("encrypted", "")
        for name in ("Workbook", "Book"):  # Book: Excel 5/95
            if ole.exists(name):
                if _lies_about_size(ole, name, len(data)):
                    detail = f"Office 97-2003 形式のファイルが壊れています: {name} の大きさ"
                    return ("corrupt-file", detail)
                return ("encrypted", "") if _has_filepass(ole, name) else ("old-xls", "")
        return ("not-excel", "Excel 以外の Office 97-2003 形式のファイルです")
    except Exception as exc:  # a stream's sectors out of range, a FAT loop
        detail = f"Office 97-2003 形式のファイルが壊れています: {type(exc).__name__}"
        return ("corrupt-file", detail[:200])
    finally:
        ole.close()


def _lies_about_size(ole: olefile.OleFileIO, name: str, file_size: int) -> bool:
    """A stream (or the mini stream holding it) declared larger than the file itself.

    olefile reads a whole stream at once, following its sector chain for the declared
    size: a chain that loops back on itself then fills memory (4 GB for a declared size
    of 2^32) before any record is looked at."""
    size = ole.get_size(name)
    if size > file_size:
        return True
    in_mini_stream = size < ole.minisectorcutoff
    return in_mini_stream and ole.root is not None and ole.root.size > file_size


def _has_filepass(ole: olefile.OleFileIO, name: str) -> bool:
    """A FilePass record (RC4 or XOR) in the workbook stream's globals substream."""
    stream = ole.openstream(name)
    head = stream.read(4)
    if len(head) < 4 or struct.unpack("<HH", head)[0] != _BOF:
        return False
    stream.read(struct.unpack("<HH", head)[1])
    for _ in range(_GLOBALS_RECORDS):
        head = stream.read(4)
        if len(head) < 4:
            return False
        kind, size = struct.unpack("<HH", head)
        body = stream.read(size)
        if kind == _FILEPASS:
            return len(body) >= 2 and struct.unpack("<H", body[:2])[0] in (0, 1)  # XOR, RC4
        if kind in (_EOF, _BOF):
            return False
    return False
