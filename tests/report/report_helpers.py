"""Shared helpers and fixtures of the report tests: one data-only payload, rendered once per
session in every format, text extractors and small real inputs.

A module of its own (not ``conftest``) so tests import helpers by a name no other test
directory uses; ``conftest.py`` registers the fixtures.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest

import saigapop as sp
from saigapop.management.outcomes import TrialInputs
from saigapop.report import (
    ReportConfig,
    build_payload,
    render_docx,
    render_html,
    render_pdf,
)

DATE = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)


class _TextExtractor(HTMLParser):
    """Visible text of an HTML document (stdlib only), the content of ``skip`` tags left out.

    By default style and script are skipped and block ends become line breaks; with
    ``skip=("style", "thead", "tbody")`` and ``breaks=None`` it keeps the prose and labels of
    the report without the data-table bodies (checked cell by cell), every tag end a space.
    """

    _BLOCKS = ("p", "td", "th", "li", "div", "h1", "h2", "h3", "caption", "figcaption")

    def __init__(self, skip=("style", "script"), breaks=_BLOCKS) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0
        self._skipped, self._breaks = skip, breaks

    def handle_starttag(self, tag, attrs):
        if tag in self._skipped:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in self._skipped:
            self._skip -= 1
        if self._breaks is None:
            self.parts.append(" ")
        elif tag in self._breaks and tag not in self._skipped:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def shown_texts(payload, html: str) -> list[str]:
    """Prose and labels of the HTML report, and every table cell outside verbatim columns
    (citations, links, file names, identifiers: :func:`~saigapop.report.vocabulary.is_verbatim`).
    """
    from saigapop.report.exporters._layout import lay_out
    from saigapop.report.i18n import use_language
    from saigapop.report.vocabulary import is_verbatim

    parser = _TextExtractor(skip=("style", "thead", "tbody"), breaks=None)
    parser.feed(html)
    texts = ["".join(parser.parts)]
    for laid in lay_out(payload):
        for table in laid.tables:
            texts += table.titles
            with use_language(payload.language):
                keep = [i for i, c in enumerate(table.columns) if not is_verbatim(c)]
            for row in table.rows:
                texts += [row[i].text for i in keep]
    return texts


def normalise(text: str) -> str:
    """Collapse whitespace (PDF and DOCX extraction break lines differently)."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def html_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    return normalise("".join(parser.parts))


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return normalise("\n".join(page.extract_text() or "" for page in reader.pages))


def docx_text(docx: bytes) -> str:
    import docx as python_docx

    doc = python_docx.Document(io.BytesIO(docx))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return normalise("\n".join(parts))


@pytest.fixture(scope="session")
def data():
    return sp.load_kazakhstan()


@pytest.fixture(scope="session")
def config():
    return ReportConfig(date=DATE)


@pytest.fixture(scope="session")
def payload(data, config):
    return build_payload(data, config=config)


@pytest.fixture(scope="session")
def html(payload):
    return render_html(payload)


@pytest.fixture(scope="session")
def pdf(payload, html):
    return render_pdf(payload, html=html)


@pytest.fixture(scope="session")
def docx_bytes(payload):
    return render_docx(payload)


@pytest.fixture(scope="session")
def texts(html, pdf, docx_bytes):
    return {"html": html_text(html), "pdf": pdf_text(pdf), "docx": docx_text(docx_bytes)}


@pytest.fixture(scope="session")
def extract():
    """Text extractors by format, for tests that render their own payloads."""
    return {"html": html_text, "pdf": pdf_text, "docx": docx_text}


@pytest.fixture(scope="session")
def synthetic_quota():
    """A synthetic posterior and its quota with the CITES-cap allocation (real code)."""
    import warnings

    from saigapop.management import HornStock, OperatingModel, solve_quota
    from saigapop.management.analysis import prepare_quota
    from saigapop.testing import synthetic_posterior

    posterior = synthetic_posterior(chains=2, draws=60, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        om = OperatingModel.from_posterior(posterior, seed=5)
    result = solve_quota(om, progress=False)
    return posterior, prepare_quota(om, result, stock=HornStock(), fit=posterior)


def small_trial_inputs(posterior, result, *, n_replicates: int) -> TrialInputs:
    """Three trials and a short MSE on a synthetic posterior (real code, small sizes)."""
    import warnings

    import numpy as np

    from saigapop.management.mse import procedure_from_quota, run_mse, summarise_mse
    from saigapop.management.trials import DEFAULT_TRIALS, run_trials, synthetic_counts

    picked = [t for t in DEFAULT_TRIALS if t.name in ("base", "obs_cv_0.1", "double_catastrophes")]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        trials = run_trials(
            posterior, result, trials=picked, counts=synthetic_counts(posterior), progress=False
        )
        mse = run_mse(
            posterior,
            procedure_from_quota(result, posterior),
            n_replicates=n_replicates,
            block_size=n_replicates // 2,
            limits={"Betpakdala": 2e5, "Ural": 2e5, "Ustyurt": 1e4},
        )
    return TrialInputs(trials=trials, mse=summarise_mse(mse))


def reweighted_alternatives():
    """Quotas under alternative priors as the reweighting returns them (one unreliable)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "parameter": ["obs_cv", "obs_cv", "harem_size", "harem_size"],
            "alternative": ["low", "high", "low", "high"],
            "prior": ["LogNormal(mu=-2.3, sigma=0.3)"] * 4,
            "population": "Ural",
            "value": [3900.0, 4500.0, 3000.0, 4400.0],
            "reference": 4200.0,
            "khat": [1.2, 0.3, 0.1, 0.2],
            "ess": [5.0, 900.0, 1200.0, 1100.0],
            "reliable": [False, True, True, True],
            "method": "reweighted",
        }
    )


def validation_checks():
    """Validation checks as their producers write them (Message sentences).

    Hindcast MASE and Mohn's rho pass; Pareto k (not gating) and SBC uniformity fail.

    Hindcast MASE, Pareto k, SBC uniformity, Mohn's rho: the templates of the ``check()``
    methods of :mod:`saigapop.validation` (a template missing from the catalogue would show
    in English, and the Russian scans would name it).
    """
    from saigapop.locale import N_
    from saigapop.locale.messages import Message
    from saigapop.validation import Check

    return [
        Check(
            N_("Hindcast MASE"),
            True,
            0.8,
            Message("< {threshold:g}", {"threshold": 1.0}),
            Message(
                N_(
                    "one-step-ahead MASE {mase:.2f} over {n} counts (without planning-estimate "
                    "counts); {inside} of {n} inside their {prob:.0%} intervals"
                ),
                {"mase": 0.8, "n": 23, "inside": 21, "prob": 0.9},
            ),
        ),
        Check(
            N_("Pareto k"),
            False,
            1.15,
            Message("< {threshold:.2f}", {"threshold": 0.7}),
            Message(
                N_(
                    "worst k-hat {khat:.2f} ({variable}: {observation}); {bad} of {n} "
                    "observations at or above {threshold:.2f}"
                ),
                {
                    "khat": 1.15,
                    "variable": "count",
                    "observation": "Ural 2019",
                    "bad": 1,
                    "n": 40,
                    "threshold": 0.7,
                },
            ),
            gating=False,
        ),
        Check(
            N_("SBC uniformity"),
            False,
            0.004,
            Message(N_("p > {alpha} (Bonferroni)"), {"alpha": 0.01}),
            Message(
                N_(
                    "smallest {test} p-value {p:.3g} ({label}); Bonferroni-adjusted over {m} "
                    "tests: {adj:.3g}; {sims} simulations, L = {draws}, {failed} failed fits"
                ),
                {
                    "test": "chi2",
                    "p": 0.0001,
                    "label": "obs_cv",
                    "m": 40,
                    "adj": 0.004,
                    "sims": 200,
                    "draws": 99,
                    "failed": 2,
                },
            ),
        ),
        Check(
            N_("Mohn's rho"),
            True,
            0.12,
            Message("|rho| <= {threshold}", {"threshold": 0.3}),
            Message(
                N_("largest |rho| = {rho:.2f} ({quantity}, {population}) over {peels} peels"),
                {"rho": 0.12, "quantity": "N", "population": "Ural", "peels": 5},
            ),
        ),
    ]


def mse_note(n: int, b: int):
    """The note of :func:`saigapop.management.analysis.prepare_trials` on the MSE's size."""
    from saigapop.locale import N_
    from saigapop.locale.messages import Message

    return Message(
        N_("The MSE ran {n} replicates (posterior draws × stochastic futures) in blocks of {b}."),
        {"n": n, "b": b},
    )
