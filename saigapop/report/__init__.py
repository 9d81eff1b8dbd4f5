"""The biological justification report (CITES non-detriment finding).

A report is computed once into a frozen :class:`ReportPayload` by :func:`build_payload`, then
laid out by exporters: self-contained HTML, PDF (WeasyPrint), DOCX (python-docx) and a
locale-neutral CSV/JSON bundle that :func:`read_bundle` reads back into pandas.

Examples
--------
>>> import saigapop as sp
>>> from saigapop.report import build_payload
>>> payload = build_payload(sp.load_kazakhstan())
>>> payload.quota_recommended
False
>>> payload.section("summary").title
'Summary and recommended quotas'

The report only presents: the results it lays out are computed by
:mod:`saigapop.management.analysis` (quota, projections, trials, MSE),
:mod:`saigapop.validation.routine` and :mod:`saigapop.validation.reweighting`, and handed to
:func:`build_payload` as frozen data (:class:`QuotaInputs`, :class:`TrialInputs`,
:class:`ValidationInputs`, re-exported here).
"""

from saigapop._deprecation import moved_names
from saigapop.management.outcomes import QuotaInputs, TrialInputs
from saigapop.report.config import ReportConfig
from saigapop.report.contracts import (
    Figure,
    Provenance,
    ReportPayload,
    Section,
    Table,
    ValueBook,
)
from saigapop.report.exporters import (
    ReportBundle,
    read_bundle,
    render_docx,
    render_html,
    render_pdf,
    write_bundle,
    write_docx,
    write_html,
    write_pdf,
)
from saigapop.report.formatting import format_value
from saigapop.report.payload import build_payload
from saigapop.report.write import FORMATS, write_report
from saigapop.validation.outcomes import ValidationInputs

__all__ = [
    "FORMATS",
    "Figure",
    "Provenance",
    "QuotaInputs",
    "ReportBundle",
    "ReportConfig",
    "ReportPayload",
    "Section",
    "Table",
    "TrialInputs",
    "ValidationInputs",
    "ValueBook",
    "build_payload",
    "format_value",
    "read_bundle",
    "render_docx",
    "render_html",
    "render_pdf",
    "write_bundle",
    "write_docx",
    "write_html",
    "write_pdf",
    "write_report",
]


#: ``saigapop.report.prepare_quota`` moved to :mod:`saigapop.management.analysis`.
__getattr__ = moved_names(__name__, {"prepare_quota": "saigapop.management.analysis"})
