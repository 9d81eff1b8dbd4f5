"""Exporters: lay a frozen payload out as HTML, PDF, DOCX or a CSV/JSON bundle."""

from saigapop.report.exporters.bundle import ReportBundle, read_bundle, write_bundle
from saigapop.report.exporters.docx import render_docx, write_docx
from saigapop.report.exporters.html import render_html, write_html
from saigapop.report.exporters.pdf import render_pdf, write_pdf

__all__ = [
    "ReportBundle",
    "read_bundle",
    "render_docx",
    "render_html",
    "render_pdf",
    "write_bundle",
    "write_docx",
    "write_html",
    "write_pdf",
]
