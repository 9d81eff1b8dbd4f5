"""DOCX through python-docx: real headings, tables and figures that stay editable in Word."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from saigapop.report.contracts import ReportPayload
from saigapop.report.exporters._layout import LaidTable, lay_out
from saigapop.report.formatting import format_date
from saigapop.report.i18n import _, use_language

__all__ = ["render_docx", "write_docx"]

_ALERT = RGBColor(0xA4, 0x16, 0x1A)
_MUTED = RGBColor(0x55, 0x55, 0x55)


def render_docx(payload: ReportPayload) -> bytes:
    """Render the payload as a Word document (DOCX bytes).

    Sections become Heading 1/2, prose normal paragraphs, tables Word tables (small font,
    header row repeated on each page) and figures inline pictures with captions, so a ministry
    editor can change the text without touching the numbers' layout.

    Parameters
    ----------
    payload
        A payload from :func:`saigapop.report.build_payload`.

    Returns
    -------
    bytes

    Examples
    --------
    >>> import saigapop as sp
    >>> from saigapop.report import build_payload, render_docx
    >>> render_docx(build_payload(sp.load_kazakhstan()))[:2]
    b'PK'
    """
    with use_language(payload.language):
        return _render(payload)


def _render(payload: ReportPayload) -> bytes:
    doc = Document()
    _page_setup(doc, payload.report_id)
    doc.core_properties.title = payload.title
    doc.core_properties.subject = payload.subtitle
    doc.core_properties.identifier = payload.report_id
    doc.core_properties.comments = f"saigapop {payload.provenance.package_version}"
    doc.core_properties.language = payload.language

    doc.add_heading(payload.title, level=0)
    sub = doc.add_paragraph(payload.subtitle)
    sub.runs[0].font.color.rgb = _MUTED
    meta = [(_("Report identifier"), payload.report_id)]
    if payload.institution:
        meta.append((_("Prepared by"), payload.institution))
    meta += [
        (_("Date (UTC)"), format_date(payload.provenance.created)),
        (_("saigapop version"), payload.provenance.package_version),
        (_("Data hash"), payload.provenance.data_hash[:16] + "…"),
    ]
    for label, value in meta:
        para = doc.add_paragraph()
        para.add_run(f"{label}: ").bold = True
        para.add_run(value)
        para.paragraph_format.space_after = Pt(0)
    for alert in payload.alerts:
        para = doc.add_paragraph()
        run = para.add_run(alert)
        run.bold = True
        run.font.color.rgb = _ALERT
        para.paragraph_format.space_before = Pt(8)

    for laid in lay_out(payload):
        section = laid.section
        doc.add_heading(f"{laid.number} {section.title}", level=section.level)
        for text in section.paragraphs:
            para = doc.add_paragraph(text)
            if not section.computed:
                for run in para.runs:
                    run.italic = True
                    run.font.color.rgb = _MUTED
        for fig in laid.figures:
            doc.add_picture(io.BytesIO(fig.figure.png), width=Cm(min(fig.figure.width_cm, 17)))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            label = _("Figure {n}.").format(n=fig.number)
            _caption(doc, f"{label} {fig.figure.title}.", fig.figure.caption)
        for table in laid.tables:
            label = _("Table {n}.").format(n=table.number)
            _caption(doc, f"{label} {table.table.title}.", table.table.caption)
            _table(doc, table)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_docx(payload: ReportPayload, path: str | Path) -> Path:
    """Write :func:`render_docx` to ``path`` and return the path."""
    path = Path(path)
    path.write_bytes(render_docx(payload))
    return path


def _page_setup(doc: Document, report_id: str) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(1.8)
    section.top_margin = section.bottom_margin = Cm(1.8)
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(10)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{report_id} · {_('page')} ").font.size = Pt(8)
    _field(footer, "PAGE")


def _field(paragraph, code: str) -> None:
    """Insert a Word field (e.g. PAGE) that Word updates itself."""
    run = paragraph.add_run()
    run.font.size = Pt(8)
    for kind, text in (("begin", None), (None, code), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _caption(doc: Document, label: str, text: str) -> None:
    para = doc.add_paragraph(style="Caption")
    para.add_run(label + " ").bold = True
    if text:
        para.add_run(text)


def _table(doc: Document, laid: LaidTable) -> None:
    cols = laid.columns
    table = doc.add_table(rows=1, cols=len(cols))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    text_width = 17.4
    widths = [Cm(text_width * w / 100) for w in laid.widths]
    header = table.rows[0]
    _repeat_header(header)
    for cell, name, width in zip(header.cells, laid.titles, widths, strict=True):
        cell.width = width
        _cell_text(cell, name, bold=True)
    for row in laid.rows:
        cells = table.add_row().cells
        for cell, value, width in zip(cells, row, widths, strict=True):
            cell.width = width
            text = "\n".join(value.links) if value.links else value.text
            _cell_text(cell, text, right=value.cls == "num", size=6.5 if value.links else 7.5)
    doc.add_paragraph()


def _cell_text(
    cell, text: str, *, bold: bool = False, right: bool = False, size: float = 7.5
) -> None:
    para = cell.paragraphs[0]
    para.paragraph_format.space_after = Pt(0)
    if right:
        para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = para.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)
