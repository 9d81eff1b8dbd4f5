"""Write one payload in several formats into a folder."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from saigapop.report.contracts import ReportPayload
from saigapop.report.exporters import render_html, write_bundle, write_docx, write_pdf

__all__ = ["FORMATS", "write_report"]

#: Output formats, in the order they are written.
FORMATS: tuple[str, ...] = ("html", "pdf", "docx", "bundle")


def write_report(
    payload: ReportPayload,
    folder: str | Path,
    *,
    formats: Iterable[str] = FORMATS,
    on_written: Callable[[str, Path], None] | None = None,
) -> dict[str, Path]:
    """Write ``payload`` as HTML, PDF, DOCX and/or the CSV/JSON bundle.

    Files are named after the report identifier: ``<id>.html``, ``<id>.pdf``, ``<id>.docx``
    and the folder ``<id>_bundle/``.

    Parameters
    ----------
    payload
        A payload from :func:`saigapop.report.build_payload`.
    folder
        Output folder, created if needed.
    formats
        Any of :data:`FORMATS`.
    on_written
        Called with ``(format, path)`` after each file, e.g. to advance a progress bar.

    Returns
    -------
    dict
        Path written for each format.

    Raises
    ------
    ValueError
        For an unknown format (before anything is written).

    Examples
    --------
    >>> import tempfile, saigapop as sp
    >>> from saigapop.report import build_payload, write_report
    >>> payload = build_payload(sp.load_kazakhstan())
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_report(payload, tmp, formats=["html", "bundle"])
    ...     sorted(paths), paths["html"].suffix
    (['bundle', 'html'], '.html')
    """
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}; choose from {list(FORMATS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / payload.report_id
    html = render_html(payload) if {"html", "pdf"} & set(wanted) else None
    out: dict[str, Path] = {}
    for fmt in [f for f in FORMATS if f in wanted]:
        if fmt == "html":
            path = stem.with_suffix(".html")
            path.write_text(html or "", encoding="utf-8")
        elif fmt == "pdf":
            path = write_pdf(payload, stem.with_suffix(".pdf"), html=html)
        elif fmt == "docx":
            path = write_docx(payload, stem.with_suffix(".docx"))
        else:
            path = write_bundle(payload, folder / f"{payload.report_id}_bundle")
        out[fmt] = path
        if on_written is not None:
            on_written(fmt, path)
    return out
