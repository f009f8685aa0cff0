"""Add Python 3.14 bytecode to the page's standard library and wheels (run by web/bytecode.mjs
inside Pyodide under node, the interpreter the page runs, so the bytecode is its own).

Pyodide ships its standard library as sources, so every start compiled each module anew:
about half of the page's boot. Only the modules the page has loaded once it is ready get
bytecode (the whole library's would add 4.5 MB). It is written as unchecked-hash .pyc (PEP 552:
no timestamps, used without reading the source), beside the module in the zip (where
zipimport looks) and in __pycache__ in a wheel. The sources stay, for tracebacks. Entries
are sorted and dated 1980-01-01: the same input gives the same bytes. They are stored, not
deflated: the page gzips each asset whole, which packs them smaller than zip's per-file
deflate, and an import then reads its module without inflating it.
"""

from __future__ import annotations

import importlib.util
import io
import marshal
import sys
import zipfile

STDLIB = next(p for p in sys.path if p.endswith(".zip"))  # where the page mounts it
SITE = next(p for p in sys.path if p.endswith("site-packages"))
EPOCH = (1980, 1, 1, 0, 0, 0)


def pyc(source: bytes, path: str) -> bytes:
    code = compile(source, path, "exec", dont_inherit=True)
    flags = 0b01  # hash-based, source not checked
    return (importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little")
            + importlib.util.source_hash(source) + marshal.dumps(code))  # fmt: skip


def loaded() -> set[str]:
    """The source files of every module imported so far."""
    return {
        str(module.__spec__.origin)
        for module in list(sys.modules.values())
        if getattr(module, "__spec__", None) is not None and str(module.__spec__.origin).endswith(".py")
    }


def add_bytecode(data: object, *, in_zip: bool, wanted: object) -> bytes:
    """`data` (a zip) with a .pyc for each of its .py files among `wanted` (paths as loaded)."""
    chosen = set(wanted.to_py() if hasattr(wanted, "to_py") else wanted)
    base = STDLIB if in_zip else SITE
    entries: dict[str, bytes] = {}
    raw = data.to_bytes() if hasattr(data, "to_bytes") else bytes(data)  # a JS Uint8Array
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        for name in archive.namelist():
            entries[name] = archive.read(name)
    for name, content in list(entries.items()):
        if not name.endswith(".py") or f"{base}/{name}" not in chosen:
            continue
        try:
            compiled = pyc(content, f"{base}/{name}")
        except SyntaxError:  # test data and lib2to3 fixtures that are not Python 3.14
            continue
        folder, _, module = name.rpartition("/")
        target = (
            name + "c"
            if in_zip
            else f"{folder}/__pycache__/{module[:-3]}.{sys.implementation.cache_tag}.pyc".lstrip("/")
        )
        entries[target] = compiled
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, EPOCH)
            info.external_attr = (0o40755 << 16) | 0x10 if name.endswith("/") else 0o644 << 16
            archive.writestr(info, entries[name])
    return out.getvalue()
