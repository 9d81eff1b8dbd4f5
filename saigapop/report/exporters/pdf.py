"""PDF from the same HTML, through WeasyPrint (A4, page numbers, wrapping tables)."""

from __future__ import annotations

import logging
from pathlib import Path

from saigapop.report.contracts import ReportPayload
from saigapop.report.exporters.html import render_html

__all__ = ["render_pdf", "write_pdf"]


def render_pdf(payload: ReportPayload, *, html: str | None = None) -> bytes:
    """Render the payload as PDF bytes.

    Parameters
    ----------
    payload
        A payload from :func:`saigapop.report.build_payload`.
    html
        Pre-rendered HTML of the same payload (saves rendering it twice).

    Returns
    -------
    bytes

    Examples
    --------
    >>> import saigapop as sp
    >>> from saigapop.report import build_payload, render_pdf
    >>> render_pdf(build_payload(sp.load_kazakhstan()))[:5]
    b'%PDF-'
    """
    import weasyprint
    import weasyprint.urls

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    source = html if html is not None else render_html(payload)
    # Only data: URIs may be fetched: the HTML is self-contained by construction, and a
    # stray external reference fails loudly instead of reaching the network.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    document = weasyprint.HTML(string=source, url_fetcher=fetcher)
    return document.write_pdf()


def write_pdf(payload: ReportPayload, path: str | Path, *, html: str | None = None) -> Path:
    """Write :func:`render_pdf` to ``path`` and return the path."""
    path = Path(path)
    path.write_bytes(render_pdf(payload, html=html))
    return path
