"""Robustness, MSE, sensitivity (prior reweighting) and registry sections on synthetic inputs.

No sampling: a synthetic posterior (saigapop.management.synthetic), real trials and a real
(small) MSE on it, a synthetic horn registry. Every number checked against its source.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from report_helpers import reweighted_alternatives, small_trial_inputs

from saigapop.management import OperatingModel, solve_quota
from saigapop.management.outcomes import TrialInputs
from saigapop.model.priors import DEFAULT_PRIORS, Prior, with_prior
from saigapop.report import build_payload, read_bundle, render_docx, render_html, write_report
from saigapop.report.contracts import ValueBook
from saigapop.report.formatting import format_value
from saigapop.report.robustness_sections import robustness_section
from saigapop.report.validation_sections import sensitivity_section
from saigapop.testing import synthetic_posterior
from saigapop.validation import Alternative, Check
from saigapop.validation.outcomes import ValidationInputs
from saigapop.validation.reweighting import (
    alternative_weights,
    reweighted_alternative_quotas,
    systematic_resample,
)

# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def posterior():
    return synthetic_posterior(chains=2, draws=60, seed=3)


@pytest.fixture(scope="module")
def result(posterior):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        om = OperatingModel.from_posterior(posterior, seed=5)
        return solve_quota(om, progress=False)


@pytest.fixture(scope="module")
def trial_inputs(posterior, result):
    return small_trial_inputs(posterior, result, n_replicates=60)


@pytest.fixture(scope="module")
def alternatives():
    return reweighted_alternatives()


@pytest.fixture(scope="module")
def payload(data, config, posterior, trial_inputs, alternatives):
    checks = [Check("Pareto k", False, 1.15, "< 0.70", "worst k-hat 1.15")]
    return build_payload(
        data,
        fit=posterior,
        diagnostics={"passed": True},
        trials=trial_inputs,
        validation=ValidationInputs(checks=checks, alternatives=alternatives, method="reweighted"),
        config=config,
    )


@pytest.fixture(scope="module")
def html_text(payload, extract):
    return extract["html"](render_html(payload))


# --------------------------------------------------------------------------- reweighting


def _lognormal_posterior(mu: float, sigma: float, n: int, seed: int = 0) -> xr.Dataset:
    x = np.exp(np.random.default_rng(seed).normal(mu, sigma, n)).reshape(2, -1)
    return xr.Dataset({"harem_size": (("chain", "draw"), x)})


def test_the_fitted_prior_gives_uniform_weights():
    post = _lognormal_posterior(np.log(19.0), 0.28, 4000)
    w, khat, ess = alternative_weights(post, "harem_size", DEFAULT_PRIORS["harem_size"])
    assert np.allclose(w, 1 / 4000)
    assert ess == pytest.approx(4000)
    assert khat == -np.inf


def test_reweighting_reaches_the_alternative_prior_analytically():
    # a posterior equal to the prior (no information in the data): reweighted to a prior
    # with its log-mean shifted by 0.1, the weighted mean of log x must be that new mean
    ref = DEFAULT_PRIORS["harem_size"]
    mu0, s = ref.params["mu"], ref.params["sigma"]
    post = _lognormal_posterior(mu0, s, 40_000, seed=1)
    alt = with_prior(DEFAULT_PRIORS, "harem_size", params={"mu": mu0 + 0.1, "sigma": s})
    w, khat, ess = alternative_weights(post, "harem_size", alt["harem_size"], ref)
    logx = np.log(post["harem_size"].values.ravel())
    mean = float(np.sum(w * logx))
    assert khat < 0.7
    assert abs(mean - (mu0 + 0.1)) < 4 * s / np.sqrt(ess)


def test_a_far_alternative_is_flagged_unreliable():
    ref = DEFAULT_PRIORS["harem_size"]
    post = _lognormal_posterior(ref.params["mu"], ref.params["sigma"], 4000)
    far = Prior("LogNormal", {"mu": ref.params["mu"] + 1.5, "sigma": 0.1}, "r", "c")
    _, khat, ess = alternative_weights(post, "harem_size", far, ref)
    assert khat > 0.7
    assert ess < 100


def test_systematic_resampling_follows_the_weights():
    w = np.array([0.1, 0.6, 0.0, 0.3])
    idx = systematic_resample(w, 1000, seed=4)
    counts = np.bincount(idx, minlength=4)
    assert np.all(np.abs(counts - 1000 * w) <= 1)


def test_alternative_quotas_table_flags_and_keeps_every_alternative():
    ref = DEFAULT_PRIORS["harem_size"]
    post = _lognormal_posterior(ref.params["mu"], ref.params["sigma"], 4000, seed=2)
    alts = [
        Alternative("harem_size", "low", {"harem_size": Prior("LogNormal", {"mu": np.log(15.0),
                    "sigma": 0.28}, "r", "c")}),
        Alternative("harem_size", "far", {"harem_size": Prior("LogNormal", {"mu": np.log(80.0),
                    "sigma": 0.05}, "r", "c")}),
        Alternative("obs_cv", "low", {"obs_cv": DEFAULT_PRIORS["obs_cv"]}),
    ]  # fmt: skip

    def solve(p):  # quota proportional to the median harem size of the resampled draws
        return {"A": 100.0 * float(p["posterior"]["harem_size"].median())}

    t = reweighted_alternative_quotas(post, solve, {"A": 1900.0}, alternatives=alts, n_draws=4000)
    assert len(t) == 3
    low = t[t["alternative"] == "low"].iloc[0]
    assert low["reliable"]
    assert low["value"] < 1900.0
    # posterior = fitted prior LogNormal(log 19, 0.28); reweighted to LogNormal(log 15, 0.28)
    # the draws follow the alternative: median 15, so the quota is about 1,500
    assert low["value"] == pytest.approx(1500.0, rel=0.05)
    assert not t[t["alternative"] == "far"].iloc[0]["reliable"]
    missing = t[t["parameter"] == "obs_cv"].iloc[0]
    assert np.isnan(missing["value"])
    assert missing["method"] == "not in the posterior"


# --------------------------------------------------------------------------- robustness


def test_trial_tables_equal_the_trial_results(payload, trial_inputs):
    ds = trial_inputs.trials
    for pop in ds["population"].values:
        table = payload.table(f"trials_{pop}")
        assert table["Trial"].tolist() == [str(t) for t in ds["trial"].values]
        ab = ds.sel(population=pop, criterion="abundance")
        np.testing.assert_allclose(
            table["Added risk (pp)"], np.round(100 * ab["added_risk"].values, 3)
        )
        np.testing.assert_allclose(
            table["P(N < limit) at zero export (%)"], np.round(100 * ab["baseline_risk"].values, 3)
        )
        assert table["Passes"].tolist() == ds["trial_passes"].sel(population=pop).values.tolist()
    grid = payload.table("trial_grid")
    assert grid["Weights reliable"].tolist() == ds["weights_reliable"].values.tolist()
    assert payload.values["trials.count"] == ds.sizes["trial"]


def test_mse_tables_equal_the_summary_with_monte_carlo_errors(payload, trial_inputs):
    s = trial_inputs.mse
    risks = payload.table("mse_risks")
    assert set(risks["Procedure"]) == {"Procedure behind the quota", "Zero export"}
    for row in risks.itertuples(index=False):
        proc = "zero_export" if row[1] == "Zero export" else "procedure"
        x = s.sel(procedure=proc, population=row[0])
        assert row[2] == pytest.approx(round(100 * float(x["p_below_limit"]), 3))
        assert row[3] == pytest.approx(round(100 * float(x["p_below_limit_mcse"]), 3))
    assert payload.values["mse.replicates"] == 60


def test_unreliable_trials_are_named_in_the_prose(payload, trial_inputs):
    ds = trial_inputs.trials
    text = " ".join(payload.section("robustness").paragraphs)
    assert "importance reweighting" in text  # how the trials were conditioned
    for t, ok in zip(ds["trial"].values, ds["weights_reliable"].values, strict=True):
        if not ok:
            assert str(t) in text


def test_rendered_trial_cells_are_the_table_values(payload, html_text):
    for name in ("trials_Ural", "mse_risks"):
        table = payload.table(name)
        for col in table.columns:
            for v in table[col]:
                assert format_value(v, col) in html_text


# --------------------------------------------------------------------------- sensitivity


def test_sensitivity_table_and_values(payload, alternatives, html_text):
    t = payload.table("tornado")
    assert t["Quota (adult males a year)"].tolist() == [3000.0, 4400.0, 3900.0, 4500.0]
    assert t["Reliable"].tolist() == [True, True, False, True]  # largest swing first
    assert payload.values["sensitivity.unreliable_count"] == 1
    assert payload.values["sensitivity.Ural.largest_low"] == 3000
    assert payload.values["sensitivity.Ural.largest_high"] == 4400
    text = " ".join(payload.section("sensitivity").paragraphs)
    assert "not refitted" in text
    assert "Census observation CV (low)" in text
    assert [f.name for f in payload.section("sensitivity").figures] == ["tornado"]
    for v in t["Pareto k̂"]:
        assert format_value(v) in html_text


def test_sensitivity_without_alternatives_says_not_computed():
    s = sensitivity_section({"validation": ValidationInputs()}, ValueBook(), None)
    assert s.computed is False
    assert s.paragraphs[0].startswith("Not computed")


def test_a_failing_validation_check_is_a_failing_checklist_row(payload):
    checklist = payload.table("acceptance_checklist")
    row = checklist[checklist["Check"] == "Pareto k"].iloc[0]
    assert not row["Passed"]
    assert row["Threshold"] == "< 0.70"
    assert payload.diagnostics_passed is False
    assert any("FAILED" in a for a in payload.alerts)


def test_bundle_round_trips_the_new_tables(payload, tmp_path):
    paths = write_report(payload, tmp_path, formats=["bundle"])
    bundle = read_bundle(paths["bundle"])
    for name in ("trial_grid", "trials_Ural", "mse_risks", "mse_performance", "tornado"):
        pd.testing.assert_frame_equal(
            bundle.tables[name], payload.table(name), check_dtype=False, check_exact=False
        )


def test_robustness_section_reads_a_trial_table():
    frame = pd.DataFrame(
        {"trial": ["base", "base"], "population": ["A", "B"], "added": [0.001, 0.02],
         "passes": [True, False]}
    )  # fmt: skip
    vb = ValueBook()
    s = robustness_section({"trials": TrialInputs(trials=frame)}, vb, None)
    assert s.tables[0].frame["Added risk (pp)"].tolist() == [0.1, 2.0]
    assert vb.values["trials.failed_count"] == 1


# --------------------------------------------------------------------------- registry


@pytest.fixture(scope="module")
def registry():
    from saigapop.registry import make_synthetic_registry, validate_registry

    synth = make_synthetic_registry(400, faults={"female_horn": 3}, seed=7)
    return validate_registry(synth.registry, synth.removals)


def test_registry_section_numbers_equal_the_registry(data, config, registry):
    from saigapop.registry.report import registry_section

    payload = build_payload(data, registry=registry, config=config)
    expected = registry_section(registry)
    assert payload.values["registry.horns_input"] == 400
    assert payload.values["registry.horns_rejected"] == expected.numbers["horns_rejected"] == 3
    stock = payload.table("registry_stock")
    assert stock["Horns (horns)"].sum() == expected.numbers["stock_horns"]
    text = " ".join(payload.section("registry").paragraphs)
    assert "400 horns" in text
    docx_text = render_docx(payload)
    assert docx_text[:2] == b"PK"


def test_without_a_registry_the_section_says_so(data, config):
    payload = build_payload(data, config=config)
    section = payload.section("registry")
    assert section.computed is False
    assert "--registry" in section.paragraphs[0]


def test_message_notes_are_rendered_in_the_report_language(trial_inputs):
    """Notes handed over as Message objects (the MSE note) reach the prose as translated text."""
    from dataclasses import replace

    from saigapop.locale import N_
    from saigapop.locale.messages import Message
    from saigapop.report.config import ReportConfig
    from saigapop.report.i18n import use_language

    note = Message(
        N_("The MSE ran {n} replicates (posterior draws × stochastic futures) in blocks of {b}."),
        {"n": 1200, "b": 60},
    )
    inputs = {"trials": replace(trial_inputs, notes=(note,))}
    en = robustness_section(inputs, ValueBook(), ReportConfig())
    assert note.render("en") in en.paragraphs
    with use_language("ru"):
        ru = robustness_section(inputs, ValueBook(), ReportConfig(language="ru"))
    text = note.render("ru")
    assert text != note.render("en")
    assert "1200" in text
    assert text in ru.paragraphs
