"""Sentences other modules write in English that the report shows: validation checks, notes.

The acceptance checks of :mod:`saigapop.validation` carry a name, a threshold and one
sentence (``Check.text``) built with f-strings. The report re-words the known forms from
the message catalogue, keeping their numbers (in the report's number format) and
identifiers; a form it does not know is shown as written (and a test of the Russian report
names it). Keep the patterns in step with the ``check()`` methods they mirror.
"""

from __future__ import annotations

import re

from saigapop.report.formatting import localise_number
from saigapop.report.i18n import N_, _, current_language

__all__ = ["CHECK_NAMES", "translate_check_text", "translate_registry_text"]

#: Names of the validation checks.
CHECK_NAMES = (
    N_("Hindcast MASE"),
    N_("Pareto k"),
    N_("Recovery coverage"),
    N_("Recovery coverage (off-centre truth)"),
    N_("Mohn's rho"),
    N_("SBC uniformity"),
    N_("Prior sensitivity"),
)

_N = r"(?P<{}>-?[0-9][0-9.,]*%?|nan|inf)"


def _num(name: str) -> str:
    return _N.format(name)


#: (pattern, message): named groups become the message's placeholders.
_FORMS: tuple[tuple[str, str], ...] = (
    (
        rf"one-step-ahead MASE {_num('mase')} over {_num('n')} counts"
        r"(?P<without> \(without planning-estimate counts\))?; "
        rf"{_num('inside')} of {_num('n2')} inside their {_num('prob')} intervals",
        N_(
            "one-step-ahead MASE {mase} over {n} counts{without}; {inside} of {n2} inside their "
            "{prob} intervals"
        ),
    ),
    (
        rf"worst k-hat {_num('khat')} \((?P<where>[^)]*)\); {_num('bad')} of {_num('n')} "
        rf"observations at or above {_num('threshold')}",
        N_("worst k-hat {khat} ({where}); {bad} of {n} observations at or above {threshold}"),
    ),
    (
        rf"{_num('coverage')} of {_num('n')} {_num('prob')} intervals covered the truth "
        rf"\(band {_num('low')}–{_num('high')}\)(?:; too narrow: (?P<bad>[^;]+))?"
        r"(?:; wider than nominal: (?P<wide>.+))?",
        N_("{coverage} of {n} {prob} intervals covered the truth (band {low}–{high}){bad}{wide}"),
    ),
    (
        rf"largest \|rho\| = {_num('rho')} \((?P<quantity>[^,]+), (?P<pop>[^)]+)\) over "
        rf"{_num('peels')} peels",
        N_("largest |rho| = {rho} ({quantity}, {pop}) over {peels} peels"),
    ),
    (
        rf"smallest (?P<test>\w+) p-value {_num('p')} \((?P<label>[^)]*)\); "
        rf"(?:Bonferroni-adjusted over {_num('m')} tests: {_num('adj')}; )?"
        rf"{_num('sims')} simulations, L = {_num('draws')}(?:, {_num('failed')} failed fits)?",
        N_(
            "smallest {test} p-value {p} ({label}); {adjusted}{sims} simulations, L = "
            "{draws}{failed}"
        ),
    ),
    (
        r"most prior-sensitive: (?P<top>.*); prior decides for "
        rf"{_num('driven')} parameter\(s\); possible prior-data conflict for {_num('conflict')}",
        N_(
            "most prior-sensitive: {top}; prior decides for {driven} parameter(s); possible "
            "prior-data conflict for {conflict}"
        ),
    ),
)
_FORMS += (
    (  # the note of saigapop.report.inputs.prepare_trials (formatted before the report)
        rf"The MSE ran {_num('n')} replicates \(posterior draws × stochastic futures\) in "
        rf"blocks of {_num('b')}\.",
        N_("The MSE ran {n} replicates (posterior draws × stochastic futures) in blocks of {b}."),
    ),
)
_FORMS += (
    (  # the coverage check of saigapop.report.inputs (formatted before the report)
        rf"{_num('inside')} of {_num('n')} counts inside their {_num('pct')} % predictive "
        r"interval(?:; outside: (?P<names>.+))?",
        N_("{inside} of {n} counts inside their {pct} % predictive interval"),
    ),
    (  # the threshold of saigapop.validation.recovery
        rf"≥ {_num('low')} \({_num('pct')} binomial band\)",
        N_("≥ {low} ({pct} binomial band)"),
    ),
    (
        rf"reported \(psense {_num('threshold')}\)",
        N_("reported (psense {threshold})"),
    ),
)
#: Whole short texts (no numbers).
_WHOLE = (
    N_("no observations"),
    N_("no estimates"),
    N_("no ranks"),
    N_("no intervals"),
    N_("not below binomial band"),
)
_NUMBER_FIELDS = {
    "mase", "n", "inside", "n2", "prob", "khat", "bad", "threshold", "coverage", "low", "high",
    "rho", "peels", "p", "m", "adj", "sims", "draws", "failed", "driven", "conflict", "b", "pct",
}  # fmt: skip


def translate_check_text(text: str) -> str:
    """Return a validation check's sentence in the report language.

    Examples
    --------
    >>> from saigapop.report.i18n import use_language
    >>> s = "one-step-ahead MASE 0.85 over 23 counts; 21 of 23 inside their 90% intervals"
    >>> translate_check_text(s) == s
    True
    >>> with use_language("ru"):
    ...     translate_check_text(s)
    'MASE прогноза на шаг вперёд 0,85 по 23 учётам; 21 из 23 внутри своих интервалов 90%'
    """
    if current_language() == "en" or not text:
        return text
    whole = _(text)
    if whole != text:
        return whole
    for pattern, message in _FORMS:
        m = re.fullmatch(pattern, text)
        if m is None:
            continue
        values = {k: v or "" for k, v in m.groupdict().items()}
        for key in _NUMBER_FIELDS & values.keys():
            values[key] = localise_number(values[key])
        if values.get("without"):
            values["without"] = " " + _("(without planning-estimate counts)")
        if message.endswith("{bad}{wide}"):
            for key, form in (
                ("bad", N_("too narrow: {names}")),
                ("wide", N_("wider than nominal: {names}")),
            ):
                names = _("overall") if values[key] == "overall" else values[key]
                values[key] = "; " + _(form).format(names=names) if names else ""
        if "adjusted" in message:
            values["adjusted"] = (
                _("Bonferroni-adjusted over {m} tests: {adj}; ").format(
                    m=values["m"], adj=values["adj"]
                )
                if values.get("m")
                else ""
            )
            values["failed"] = (
                _(", {failed} failed fits").format(failed=values["failed"])
                if values.get("failed")
                else ""
            )
        text = _(message).format(**values)
        if values.get("names") and "{names}" not in message:
            text += "; " + _("outside: {names}").format(names=values["names"])
        return text
    return text


_R = r"[0-9][0-9,]*(?:\.[0-9]+)?"
_REGISTRY_FIXED = (
    N_("No removals were given, so the horns were not checked against removals."),
    N_(
        "Horns were checked against the removals of their population-year: every "
        "population-year's horns are covered by recorded removals."
    ),
)


def translate_registry_text(text: str) -> str:
    """Return a paragraph of the horn-registry section in the report language.

    The registry module (:func:`saigapop.registry.report.registry_section`) writes its prose
    in English; its known forms are re-worded here with localised numbers. An unknown form
    (for example the list of population-years whose horns exceed the removals) is returned
    as written.

    Examples
    --------
    >>> from saigapop.report.i18n import use_language
    >>> s = "Stock available for export: 275 accepted horns in storage (50.0 kg)."
    >>> with use_language("ru"):
    ...     translate_registry_text(s)
    'Запасы, доступные для экспорта: принятых рогов на хранении — 275 (50,0 кг).'
    """
    if current_language() == "en" or not text:
        return text
    whole = _(text)
    if whole != text:
        return whole
    loc = localise_number
    m = re.fullmatch(
        rf"The horn registry lists ({_R}) horns: ({_R}) accepted and ({_R}) rejected(.*)", text
    )
    if m:
        out = _(
            "The horn registry lists {n} horns: {accepted} accepted and {rejected} rejected"
        ).format(n=loc(m[1]), accepted=loc(m[2]), rejected=loc(m[3]))
        rest = m[4]
        if rest == "; no row has any fault.":
            return out + "; " + _("no row has any fault.")
        r = re.fullmatch(r"\. Rows rejected, by reason \(a row may have several\): (.+)\.", rest)
        if r:
            reasons = ", ".join(
                f"{_(d)} ({loc(k)})" for d, k in re.findall(rf"(.+?) \(({_R})\)(?:, |$)", r[1])
            )
            return (
                out
                + ". "
                + _("Rows rejected, by reason (a row may have several): {reasons}.").format(
                    reasons=reasons
                )
            )
        return text
    m = re.fullmatch(
        rf"Exports per calendar year against the quota and the CITES cap of ({_R}) kg: (.+)\. "
        r"Exports from stock come from animals already removed and add no mortality; rejected "
        r"rows that record an export are counted in the totals\.",
        text,
    )
    if m:
        parts = []
        for p in re.finditer(
            rf"(\d{{4}}): ({_R}) kg exported \(({_R}) kg from stock, ({_R}) kg from that year's "
            rf"harvest\)(?:, quota ({_R}) kg)?; (within|ABOVE) the limit of ({_R}) kg",
            m[2],
        ):
            year, total, stock, new, quota, verdict, limit = p.groups()
            part = _(
                "{year}: {total} kg exported ({stock} kg from stock, {new} kg from that year's "
                "harvest)"
            ).format(year=year, total=loc(total), stock=loc(stock), new=loc(new))
            if quota:
                part += ", " + _("quota {quota} kg").format(quota=loc(quota))
            verdict_text = (
                _("within the limit of {limit} kg")
                if verdict == "within"
                else _("ABOVE the limit of {limit} kg")
            )
            parts.append(part + "; " + verdict_text.format(limit=loc(limit)))
        return _(
            "Exports per calendar year against the quota and the CITES cap of {cap} kg: "
            "{parts}. Exports from stock come from animals already removed and add no "
            "mortality; rejected rows that record an export are counted in the totals."
        ).format(cap=loc(m[1]), parts="; ".join(parts))
    m = re.fullmatch(
        rf"Stock available for export: ({_R}) accepted horns in storage \(({_R}) kg\)\.", text
    )
    if m:
        return _("Stock available for export: {n} accepted horns in storage ({kg} kg).").format(
            n=loc(m[1]), kg=loc(m[2])
        )
    return text
