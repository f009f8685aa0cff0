"""Password-protected workbooks and old .xls told by their OLE streams (xlkpi.ole), the same
in the CLI and in the page, and as msoffcrypto-tool tells them."""

from __future__ import annotations

import io
import shutil
import struct
from pathlib import Path

import msoffcrypto
import msoffcrypto.format.ooxml
import olefile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import builders
from conftest import ROOT
from xlkpi import api
from xlkpi.ole import ole_kind
from xlkpi.problems import CATALOG

XLS = ROOT / "tests" / "fixtures" / "office" / "old-format-saved-by-libreoffice.xls"


def encrypted_xlsx(folder: Path) -> bytes:
    plain = builders.seed_form(folder / "plain.xlsx", 2)
    target = io.BytesIO()
    with plain.open("rb") as source:
        msoffcrypto.format.ooxml.OOXMLFile(source).encrypt("secret", target)
    return target.getvalue()


def with_filepass(folder: Path, encryption: int) -> bytes:
    """The .xls with its first record after BOF turned into FilePass (as Excel writes it first)."""
    path = folder / f"filepass-{encryption}.xls"
    shutil.copy(XLS, path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        stream = bytearray(ole.openstream("Workbook").read())
        (bof_size,) = struct.unpack_from("<H", stream, 2)
        at = 4 + bof_size
        size = struct.unpack_from("<H", stream, at + 2)[0]
        assert size >= 2
        struct.pack_into("<HHH", stream, at, 0x002F, size, encryption)
        ole.write_stream("Workbook", bytes(stream))
    return path.read_bytes()


def msoffcrypto_says_encrypted(data: bytes) -> bool:
    return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())


def test_an_excel_password_is_told_without_cryptography(tmp_path: Path) -> None:
    data = encrypted_xlsx(tmp_path)
    assert ole_kind(data) == ("encrypted", "")
    assert msoffcrypto_says_encrypted(data)
    result = api.merge([("課.xlsx", data)])  # the page's path: bytes, no msoffcrypto
    assert [(p.file, p.code) for p in result.problems] == [("課.xlsx", "encrypted")]


def test_an_old_xls_with_a_password_is_encrypted_without_one_old_xls(tmp_path: Path) -> None:
    plain = XLS.read_bytes()
    assert ole_kind(plain) == ("old-xls", "") and not msoffcrypto_says_encrypted(plain)
    for encryption in (0, 1):  # XOR obfuscation, RC4
        data = with_filepass(tmp_path, encryption)
        assert ole_kind(data) == ("encrypted", "") and msoffcrypto_says_encrypted(data)
    unknown = with_filepass(tmp_path, 7)  # no encryption either knows
    assert ole_kind(unknown) == ("old-xls", "") and not msoffcrypto_says_encrypted(unknown)


def test_an_office_file_that_is_no_workbook_and_a_broken_one(tmp_path: Path) -> None:
    other = XLS.read_bytes().replace("Workbook".encode("utf-16-le"), "Xorkbook".encode("utf-16-le"))
    assert ole_kind(other) == ("not-excel", "Excel 以外の Office 97-2003 形式のファイルです")
    code, detail = ole_kind(XLS.read_bytes()[:3000])
    assert code == "corrupt-file" and "壊れています" in detail


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_damaged_ole_file_is_a_catalogued_problem_and_agrees_with_msoffcrypto(
    tmp_path: Path, data: st.DataObject
) -> None:
    sources = [XLS.read_bytes(), with_filepass(tmp_path, 1)]
    source = bytearray(data.draw(st.sampled_from(sources)))
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(8, len(source) - 1))
        source[at] = data.draw(st.integers(0, 255))
    mutated = bytes(source)
    code, _ = ole_kind(mutated)  # never raises
    assert code in CATALOG and code in ("encrypted", "old-xls", "not-excel", "corrupt-file")
    try:
        theirs = msoffcrypto_says_encrypted(mutated)
    except Exception:  # msoffcrypto refuses what it cannot parse: no opinion
        return
    assert (code == "encrypted") == theirs
