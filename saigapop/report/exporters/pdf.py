"""PDF from the same HTML, through WeasyPrint (A4, page numbers, wrapping tables).

The PDF does not depend on the fonts of the machine: the DejaVu Sans faces that matplotlib
ships (Latin, Cyrillic, Greek and the symbols the report uses) are given to WeasyPrint as
``@font-face`` rules with ``data:`` URIs, so a fresh machine renders Russian text without
missing glyphs, and the figures (matplotlib's default font) match the text.
"""

from __future__ import annotations

import base64
import functools
import logging
from pathlib import Path

import matplotlib

from saigapop.report.contracts import ReportPayload
from saigapop.report.exporters.html import render_html

__all__ = ["FONT_FAMILY", "font_face_css", "render_pdf", "write_pdf"]

#: Family name under which the bundled faces are declared (first in the PDF's font stack).
FONT_FAMILY = "saigapop DejaVu Sans"
_FACES = (
    ("DejaVuSans.ttf", "normal", "normal"),
    ("DejaVuSans-Bold.ttf", "bold", "normal"),
    ("DejaVuSans-Oblique.ttf", "normal", "italic"),
    ("DejaVuSans-BoldOblique.ttf", "bold", "italic"),
)


@functools.cache
def font_face_css() -> str:
    """``@font-face`` rules for matplotlib's DejaVu Sans, embedded as ``data:`` URIs.

    Examples
    --------
    >>> css = font_face_css()
    >>> css.count("@font-face"), "data:font/ttf;base64," in css
    (4, True)
    """
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    rules = []
    for file, weight, style in _FACES:
        data = base64.b64encode((folder / file).read_bytes()).decode("ascii")
        rules.append(
            f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; '
            f"font-style: {style}; src: url(data:font/ttf;base64,{data}); }}"
        )
    stack = f'"{FONT_FAMILY}", "DejaVu Sans", sans-serif'
    rules.append(f"html, body, table, td, th {{ font-family: {stack}; }}")
    # page-margin boxes (report identifier, page numbers) inherit from the page, not <html>
    margins = " ".join(
        f"@{box} {{ font-family: {stack}; }}" for box in ("top-right", "bottom-center")
    )
    rules.append(f"@page {{ font-family: {stack}; {margins} }}")
    return "\n".join(rules)


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
    # WeasyPrint (with its Pango/cairo stack) loads only when a PDF is rendered: it is the
    # heaviest import of the report and HTML, DOCX and the bundle do not need it.
    import weasyprint
    import weasyprint.urls
    from weasyprint.text.fonts import FontConfiguration

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    source = html if html is not None else render_html(payload)
    # Only data: URIs may be fetched: the HTML is self-contained by construction, and a
    # stray external reference fails loudly instead of reaching the network.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols=("data",), fail_on_errors=True)
    document = weasyprint.HTML(string=source, url_fetcher=fetcher)
    fonts = FontConfiguration()
    css = weasyprint.CSS(string=font_face_css(), font_config=fonts, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[css], font_config=fonts)


def write_pdf(payload: ReportPayload, path: str | Path, *, html: str | None = None) -> Path:
    """Write :func:`render_pdf` to ``path`` and return the path."""
    path = Path(path)
    path.write_bytes(render_pdf(payload, html=html))
    return path
