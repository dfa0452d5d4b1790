"""Parse untrusted XML safely: no DTD, no entity expansion, no network, no file access.

Local-authority returns come from outside the product, so a file must not be able to expand
entities (billion laughs), read local files or URLs (XXE) or load a DTD. DTDs have no use in the
DfE formats, so any DOCTYPE is refused outright, before libxml2 sees it; the parser is also
configured so that nothing would be resolved even if one got through.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from lxml import etree

DTD_REFUSED = "DTDs and entity declarations (<!DOCTYPE ...>) are not allowed; the file was not parsed"

# What may come before the root element besides a DOCTYPE: whitespace, the XML declaration and
# other processing instructions, comments.
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_UTF32_STARTS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, b"<\0\0\0", b"\0\0\0<")
_UTF16_STARTS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\0", b"\0<")


class XmlRefusedError(ValueError):
    """The XML cannot be read: unsafe (a DTD) or not well-formed. ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def safe_parser(*, lean: bool = False) -> etree.XMLParser:
    """A parser that resolves nothing: no entities, no DTD, no network, libxml2's size limits kept.

    ``lean`` drops comments, processing instructions and whitespace-only text between elements,
    so a reader walking the tree sees only elements, and any text left between them is stray.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=lean,
        remove_comments=lean,
        remove_pis=lean,
    )


def _ascii_view(data: bytes) -> bytes:
    """The document as ASCII-compatible bytes, enough to see markup in the prolog."""
    if data.startswith(_UTF32_STARTS):
        return data.decode("utf-32", errors="replace").encode("utf-8")
    if data.startswith(_UTF16_STARTS):
        encoding = (
            "utf-16"
            if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
            else ("utf-16-le" if data.startswith(b"<\0") else "utf-16-be")
        )
        return data.decode(encoding, errors="replace").encode("utf-8")
    return data.removeprefix(codecs.BOM_UTF8)


def find_doctype(data: bytes) -> int | None:
    """The 1-based line of a DOCTYPE in the prolog, or None. Only the prolog is scanned."""
    text = _ascii_view(data)
    pos = 0
    while (match := _PROLOG_ITEM.match(text, pos)) is not None and match.end() > pos:
        pos = match.end()
    if text.startswith(b"<!DOCTYPE", pos):
        return text.count(b"\n", 0, pos) + 1
    return None


def parse_bytes(data: bytes, *, base_url: str | None = None, lean: bool = False) -> etree._ElementTree:
    """Parse ``data`` safely; raise :class:`XmlRefusedError` for a DTD or a syntax error."""
    doctype_line = find_doctype(data)
    if doctype_line is not None:
        raise XmlRefusedError(DTD_REFUSED, doctype_line)
    try:
        parser = safe_parser(lean=lean)
        # The stubs do not allow base_url=None, which lxml itself accepts.
        root = etree.fromstring(data, parser) if base_url is None else etree.fromstring(data, parser, base_url=base_url)
    except etree.XMLSyntaxError as exc:
        raise XmlRefusedError(f"not well-formed XML: {exc.msg}", exc.lineno) from None
    tree = root.getroottree()
    # Belt and braces: an encoding the prolog scan could not read must not smuggle a DTD in.
    info = tree.docinfo
    # ``doctype`` is not in lxml-stubs 0.5, hence getattr.
    if info.internalDTD is not None or info.public_id or getattr(info, "doctype", ""):
        raise XmlRefusedError(DTD_REFUSED, 1)
    return tree


def parse_file(path: Path) -> etree._ElementTree:
    """Read and parse a file safely (relative references in it resolve beside it, e.g. xs:include)."""
    return parse_bytes(path.read_bytes(), base_url=str(path))
