"""Self-contained HTML: inline CSS, figures as data URIs, no external resource."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import jinja2

from saigapop.report.contracts import ReportPayload
from saigapop.report.exporters._layout import lay_out
from saigapop.report.formatting import format_date
from saigapop.report.i18n import gettext, ngettext, use_language

__all__ = ["render_html", "write_html"]


def _environment() -> jinja2.Environment:
    """One template for every language: its text goes through the message catalogue."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("saigapop.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=False)  # type: ignore[attr-defined]
    return env


def render_html(payload: ReportPayload) -> str:
    """Render the payload as one self-contained HTML document.

    The stylesheet is inlined and figures are embedded as ``data:`` URIs, so the file opens
    offline and makes no request; hyperlinks to data sources are plain ``<a href>`` links.
    The same HTML (print styles, A4 page rules) is what the PDF exporter renders. The text
    of the template is in the payload's language (``payload.language``).

    Parameters
    ----------
    payload
        A payload from :func:`saigapop.report.build_payload`.

    Returns
    -------
    str

    Examples
    --------
    >>> import saigapop as sp
    >>> from saigapop.report import build_payload, render_html
    >>> html = render_html(build_payload(sp.load_kazakhstan()))
    >>> html.startswith("<!DOCTYPE html>"), "<link" in html
    (True, False)
    """
    css = (files("saigapop.report") / "templates" / "report.css").read_text(encoding="utf-8")
    template = _environment().get_template("report.html.j2")
    with use_language(payload.language):
        return template.render(
            p=payload,
            layout=lay_out(payload),
            css=css,
            lang=payload.language,
            created=format_date(payload.provenance.created),
        )


def write_html(payload: ReportPayload, path: str | Path) -> Path:
    """Write :func:`render_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(render_html(payload), encoding="utf-8")
    return path
