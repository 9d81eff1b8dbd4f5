"""Fixtures of the report tests (defined in :mod:`report_helpers`)."""

from report_helpers import (  # noqa: F401  (pytest registers fixtures found here)
    config,
    data,
    docx_bytes,
    extract,
    html,
    payload,
    pdf,
    synthetic_quota,
    texts,
)
