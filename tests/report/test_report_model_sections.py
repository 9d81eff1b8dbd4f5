"""Model sections from a synthetic posterior and a real QuotaResult (no sampling)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from saigapop.constants import CITES_CAP_KG
from saigapop.management import HornStock, OperatingModel, solve_quota
from saigapop.management.analysis import prepare_quota
from saigapop.management.outcomes import QuotaInputs, TrialInputs
from saigapop.report import build_payload, read_bundle, render_docx, render_html, render_pdf
from saigapop.report.formatting import format_value
from saigapop.testing import synthetic_posterior
from saigapop.validation import Check
from saigapop.validation.outcomes import ValidationInputs

MODEL_SECTIONS = (
    "reference_case",
    "model",
    "diagnostics",
    "status",
    "projections",
    "risk",
    "robustness",
    "sensitivity",
    "pbr",
    "triggers",
)


@pytest.fixture(scope="module")
def posterior():
    return synthetic_posterior(chains=2, draws=60, seed=3)


@pytest.fixture(scope="module")
def om(posterior):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OperatingModel.from_posterior(posterior, seed=5)


@pytest.fixture(scope="module")
def result(om):
    return solve_quota(om, progress=False)


@pytest.fixture(scope="module")
def quota(om, result, posterior):
    return prepare_quota(om, result, stock=HornStock(), fit=posterior)


@pytest.fixture(scope="module")
def validation():
    checks = [Check("Hindcast MASE", True, 0.8, "< 1", "hindcast MASE 0.80 < 1")]
    alternatives = pd.DataFrame(
        {
            "parameter": ["obs_cv", "obs_cv", "harem_size", "harem_size"],
            "alternative": ["low", "high", "low", "high"],
            "population": "Ural",
            "value": [3900.0, 4500.0, 3000.0, 4400.0],
            "reference": 4200.0,
        }
    )
    return ValidationInputs(checks=checks, alternatives=alternatives)


@pytest.fixture(scope="module")
def trials(result):
    rows = []
    for name, kind in (("reference", "reference"), ("doubled catastrophes", "robustness")):
        for p in result.level["population"].values:
            rows.append(
                {
                    "trial": name,
                    "population": str(p),
                    "set": kind,
                    "quota": float(result.level.sel(population=p)),
                    "passes": True,
                }
            )
    return TrialInputs(trials=pd.DataFrame(rows))


@pytest.fixture(scope="module")
def model_payload(data, config, posterior, quota, validation, trials):
    return build_payload(
        data,
        fit=posterior,
        diagnostics={"passed": True},
        quota=quota,
        validation=validation,
        trials=trials,
        config=config,
    )


@pytest.fixture(scope="module")
def model_texts(model_payload, extract):
    html = render_html(model_payload)
    return {
        "html": extract["html"](html),
        "pdf": extract["pdf"](render_pdf(model_payload, html=html)),
        "docx": extract["docx"](render_docx(model_payload)),
    }


def test_every_model_section_is_computed(model_payload):
    for key in MODEL_SECTIONS:
        assert model_payload.section(key).computed, key
    assert model_payload.quota_recommended is True
    assert model_payload.alerts == ()


def test_summary_states_the_quota_per_population(model_payload, result):
    for p in result.level["population"].values:
        value = model_payload.values[f"quota.{p}.adult_males"]
        assert value == float(result.level.sel(population=p))
        assert f"{p} {format_value(value)}" in " ".join(model_payload.section("summary").paragraphs)


def test_allocation_respects_the_cap_and_each_quota(model_payload, quota):
    table = model_payload.table("quota_allocation")
    by_year = table.groupby("Year")["Export (kg)"].sum()
    assert (by_year <= CITES_CAP_KG + 1e-6).all()
    assert (table["New harvest (adult males)"] <= table["Quota (adult males)"]).all()
    np.testing.assert_allclose(
        table["Export (kg)"], table["New harvest (kg)"] + table["From stock (kg)"]
    )
    for year, kg in by_year.items():
        assert model_payload.values[f"export.{year}.total_kg"] == pytest.approx(kg, abs=0.05)


def test_reference_case_table_has_a_column_per_population(model_payload, quota):
    table = model_payload.table("reference_case")
    pops = list(quota.result.level["population"].values)
    assert list(table.columns) == ["Quantity", "Unit", *pops]
    quantities = " ".join(table["Quantity"])
    for word in (
        "True abundance",
        "growth",
        "sex ratio",
        "no export",
        "added at the quota",
        "Binding criterion",
        "PBR",
        "Share of adult males",
        "operating model",
    ):
        assert word in quantities, word
    # synthetic posterior has no prior group: the sex ratio is flagged prior-driven
    assert (
        table.loc[table["Quantity"].str.startswith("Adult sex ratio"), pops]
        .apply(lambda c: c.str.contains("PRIOR-DRIVEN"))
        .all(axis=None)
    )


def test_acceptance_checklist_includes_validation(model_payload):
    table = model_payload.table("acceptance_checklist")
    assert "Hindcast MASE" in set(table["Check"])


@pytest.mark.parametrize("fmt", ["html", "pdf", "docx"])
def test_every_named_value_appears_in_each_export(model_payload, model_texts, fmt):
    text = model_texts[fmt]
    missing = [
        name
        for name, value in model_payload.values.items()
        if format_value(value, name) not in text
    ]
    assert not missing, missing[:10]


def test_every_quota_risk_and_abundance_figure_is_a_payload_value(model_payload, model_texts):
    keys = [
        k
        for k in model_payload.values
        if k.startswith(("quota.", "reference.", "status.", "projection.", "export."))
    ]
    assert len(keys) > 20
    for fmt in ("html", "pdf", "docx"):
        for k in keys:
            assert format_value(model_payload.values[k], k) in model_texts[fmt], (fmt, k)


def test_failed_diagnostics_keep_the_numbers_but_recommend_nothing(data, config, posterior, quota):
    payload = build_payload(
        data, fit=posterior, diagnostics={"passed": False}, quota=quota, config=config
    )
    assert payload.quota_recommended is False
    assert "FAILED" in payload.alerts[0]
    summary = " ".join(payload.section("summary").paragraphs)
    assert "NOT recommended" in summary
    assert "No quota is recommended" in summary


def test_a_failing_validation_check_blocks_the_recommendation(data, config, posterior, quota):
    bad = ValidationInputs(checks=[Check("Mohn's rho", False, 0.6, "|rho| <= 0.3", "rho 0.6")])
    payload = build_payload(
        data,
        fit=posterior,
        diagnostics={"passed": True},
        quota=quota,
        validation=bad,
        config=config,
    )
    assert payload.quota_recommended is False
    assert payload.diagnostics_passed is False


def test_a_bare_quota_result_is_accepted(data, config, posterior, result):
    payload = build_payload(
        data, fit=posterior, diagnostics={"passed": True}, quota=result, config=config
    )
    assert payload.section("triggers").computed is False
    assert payload.section("risk").computed is True
    assert isinstance(QuotaInputs(result=result), QuotaInputs)


def test_convergence_result_becomes_checklist_rows(data, config, posterior, quota):
    from saigapop.model.diagnostics import ConvergenceResult

    table = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "rhat": [1.002, 1.03],
            "ess_bulk": [900.0, 300.0],
            "ess_tail": [800.0, 500.0],
            "ok": [True, False],
        }
    )
    conv = ConvergenceResult(False, table, 2, (0.8, 0.9), ("bad",), {"rhat_max": 1.01})
    payload = build_payload(data, fit=posterior, diagnostics=conv, quota=quota, config=config)
    checks = payload.table("acceptance_checklist").set_index("Check")
    assert not checks.loc["Largest R-hat", "Passed"]
    assert checks.loc["Largest R-hat", "Value"] == "1.0300"
    assert not checks.loc["Divergent transitions", "Passed"]
    assert payload.quota_recommended is False


def test_bundle_round_trips_model_tables(model_payload, tmp_path):
    from saigapop.report import write_bundle

    folder = write_bundle(model_payload, tmp_path / "b")
    bundle = read_bundle(folder)
    for name in ("reference_case", "quota_allocation", "triggers", "pbr", "risk_at_quota"):
        pd.testing.assert_frame_equal(
            bundle.tables[name], model_payload.table(name), check_dtype=False
        )


def test_reference_trial_quotas_are_read_from_the_trial_dataset(data, config, posterior, quota):
    """``run_trials`` output (a Dataset, as ``prepare_trials`` hands it over) gives the
    reference case one quota row per reference trial, read from the Dataset as it is."""
    from saigapop.management.trials import DEFAULT_TRIALS, run_trials

    picked = [t for t in DEFAULT_TRIALS if t.name in ("base", "double_catastrophes")]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ds = run_trials(posterior, quota.result, trials=picked, progress=False)
    payload = build_payload(
        data, fit=posterior, quota=quota, trials=TrialInputs(trials=ds), config=config
    )
    table = payload.table("reference_case").set_index("Quantity")
    row = table.loc["Quota in operating model 'base'"]
    for p in ds["population"].values:
        assert row[str(p)] == format_value(float(ds["quota"].sel(trial="base", population=p)))
    # a robustness trial is not a reference operating model
    assert "Quota in operating model 'double_catastrophes'" not in table.index
