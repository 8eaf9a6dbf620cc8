"""Document PDFs (``GET /3/{invoices,orders,offers}/{n}/preview``): a small, valid one-page PDF
naming the document, its customer and its total, made anew on every call (as Fortnox renders
the document as it is now)."""

from __future__ import annotations

from ufs_sandboxes.fortnox.fields import Entity
from ufs_sandboxes.fortnox.resources.document_kinds import DocumentKind
from ufs_sandboxes.fortnox.resources.documents import get_document
from ufs_sandboxes.fortnox.tenant import Tenant

PDF_CONTENT_TYPE = "application/pdf"


def preview(tenant: Tenant, kind: DocumentKind, number: str) -> bytes:
    """The document's PDF; Fortnox's not-found error when it does not exist."""
    return render_pdf(_lines(kind, get_document(tenant, kind, number)))


def _lines(kind: DocumentKind, document: Entity) -> list[str]:
    return [
        f"{kind.single} {document.get('DocumentNumber')}",
        f"Customer {document.get('CustomerNumber')} {document.get('CustomerName') or ''}".strip(),
        f"Total {document.get('Total')} {document.get('Currency') or 'SEK'}",
    ]


def _escape(text: str) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def render_pdf(lines: list[str]) -> bytes:
    """A PDF 1.4 file with one page showing ``lines``, its cross-reference table exact."""
    text = "".join(
        f"BT /F1 12 Tf 72 {760 - 20 * index} Td ({_escape(line)}) Tj ET\n"
        for index, line in enumerate(lines)
    ).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%sendstream" % (len(text), text),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
