"""Entry points of the analysis rules: read inputs, compute with the analysis modules, write outputs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..artifacts import atomic_write, write_csv
from ..errors import ConfigError, DataError
from . import MULTI_FACTOR_SERIES, SINGLE_FACTOR_SERIES
from . import figures as fg
from . import findings as fd
from . import paper as pp
from . import tables as tb
from .io import level_curves, read_evaluations, series_rows, summarize

SERIES_TITLES = {
    "rq1_gaussian": "RQ1: Gaussian-noise training (Table 2 / Figure 2 analogue)",
    "rq2_fgsm": "RQ2: FGSM training (Table 3 / Figure 3 analogue)",
    "rq2_inverse_fgsm": "RQ2: inverse-FGSM training",
    "rq3_imbalance": "RQ3: class-imbalance training (Table 4 / Figure 4 analogue)",
    "rq4_label_error": "RQ4: label-error training (Table 5 / Figure 5 analogue)",
    "rq5_dual": "RQ5: Gaussian + FGSM training (Table 6 / Figure 6 analogue)",
    "rq6_four": "RQ6: four-factor orthogonal design (Table 7 analogue)",
}


def stem(path: str | Path) -> str:
    """A file path without its extension (the stem the table and figure writers add extensions to)."""
    return str(Path(path).with_suffix(""))


def output_stems(outputs: Mapping[str, str]) -> dict[str, str]:
    """Stems of a multi-factor rule's named outputs: '<name>_csv' -> name; 'png' -> 'figure'."""
    stems = {name[: -len("_csv")]: stem(path) for name, path in outputs.items() if name.endswith("_csv")}
    if "png" in outputs:
        stems["figure"] = stem(outputs["png"])
    return stems


def settings_from_config(config: Mapping[str, Any]) -> tuple[tb.Settings, fd.Thresholds]:
    """Analysis settings and finding thresholds from the config's `analysis` section (defaults filled)."""
    a = dict(config.get("analysis") or {})
    settings = tb.Settings(int(a.get("bootstrap_resamples", 2000)), int(a.get("seed", 0)),
                           float(a.get("confidence", 0.95)), float(a.get("alpha", 0.05)))
    return settings, fd.Thresholds(float(a.get("robust_accuracy", 0.8)), float(a.get("tolerance", 0.05)))


def _summary(path: str | Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    frame["set"] = frame["set"].astype(str)
    return frame


def _require(summary: pd.DataFrame, series: str) -> None:
    if not (summary["series"] == series).any():
        raise DataError(f"series {series!r} has no models in the summary; check the config's series and the "
                        "evaluation CSVs")


def run_summary(eval_paths: Iterable[str | Path], summary_out: str | Path, levels_out: str | Path) -> None:
    """Reduce evaluation CSVs to the per-model summary and the per-level benchmark curves."""
    data = read_evaluations(eval_paths)
    write_csv(summary_out, summarize(data))
    write_csv(levels_out, level_curves(data))


def run_single_factor(summary_path: str | Path, series: str, config: Mapping[str, Any], table_stem: str | Path,
                      figure_stem: str | Path) -> None:
    """Spearman table (Tables 2, 4, 5 analogue) and accuracy-vs-level figure of a single-factor series."""
    settings, _ = settings_from_config(config)
    summary = _summary(summary_path)
    _require(summary, series)
    title = SERIES_TITLES.get(series, series)
    tb.write_table(tb.spearman_table(summary, series, settings), table_stem, title, tb.table_notes(settings))
    fg.series_figure(series_rows(summary, series), SINGLE_FACTOR_SERIES[series], figure_stem, title)


def run_segments(summary_path: str | Path, series: str, config: Mapping[str, Any], table_stem: str | Path) -> None:
    """Table 3 analogue: the series split at its FGSM-benchmark peak per architecture."""
    settings, _ = settings_from_config(config)
    summary = _summary(summary_path)
    _require(summary, series)
    notes = ["Segment I: levels up to and including the FGSM-benchmark accuracy peak (found from the data per "
             "architecture); segment II: the levels after it.", *tb.table_notes(settings)]
    tb.write_table(tb.segments_table(summary, series, settings), table_stem,
                   SERIES_TITLES.get(series, series) + ", two segments", notes)


def _multi_notes(series: str, settings: tb.Settings) -> list[str]:
    factors = " + ".join(MULTI_FACTOR_SERIES[series])
    return [f"R = corr(y, y_hat) of the OLS fit (statsmodels) accuracy ~ {factors} (factor levels as numbers); "
            "p: the fit's F-test.",
            f"p_holm: Holm-adjusted over this table; significant at alpha = {settings.alpha}."]


def run_multi_factor(summary_path: str | Path, series: str, config: Mapping[str, Any], out: Mapping[str, str]) -> None:
    """Tables 6, 7 analogues; for RQ5 the heatmaps, for the orthogonal design main effects, ranges, ANOVA and plots.

    `out` maps names (correlation, slopes, figure, and for the orthogonal design main_effects, ranges, anova) to stems.
    """
    settings, _ = settings_from_config(config)
    summary = _summary(summary_path)
    _require(summary, series)
    title = SERIES_TITLES.get(series, series)
    tb.write_table(tb.multiple_correlation_table(summary, series), out["correlation"], title + ": multiple "
                   "correlation", _multi_notes(series, settings))
    tb.write_table(tb.coefficient_table(summary, series), out["slopes"], title + ": OLS slopes",
                   ["Accuracy change per unit of each factor's level, from the same OLS fit."])
    if "main_effects" not in out:
        fg.dual_heatmaps(series_rows(summary, series), out["figure"], title)
    if "main_effects" in out:
        effects = tb.main_effects_table(summary, series)
        tb.write_table(effects, out["main_effects"], title + ": main effects",
                       ["Mean accuracy over the runs at each level of a factor (orthogonal design: the other "
                        "factors are balanced at every level)."])
        tb.write_table(tb.effect_range_table(summary, series), out["ranges"], title + ": effect ranges",
                       ["range = max - min of a factor's level means; rank 1 = the factor with the largest effect."])
        tb.write_table(tb.anova_table(summary, series), out["anova"], title + ": ANOVA",
                       ["Type-II ANOVA (statsmodels) of accuracy on the four factors as categorical main effects; "
                        "n runs of k levels leave n - 1 - 4(k - 1) residual degrees of freedom (L25: 8, L16: 3)."])
        fg.main_effects_figure(effects, out["figure"], title + ": main effects")


def choose_level_models(summary: pd.DataFrame, selection: list[Mapping[str, Any]] | None) -> pd.DataFrame:
    """The models of the accuracy-vs-level figure: configured {series, level} items, or clean plus each
    single-factor series' middle and highest level (at most 8 models)."""
    picks: list[tuple[str, float | None]] = []
    if selection:
        picks = [(item["series"], item.get("level")) for item in selection]
    else:
        picks.append(("clean", None))
        for series, factor in SINGLE_FACTOR_SERIES.items():
            levels = sorted(set(summary.loc[summary["series"] == series, factor]))
            if levels:
                picks += [(series, levels[len(levels) // 2]), (series, levels[-1])]
        picks = list(dict.fromkeys(picks))[:8]
    chosen = []
    for series, level in picks:
        rows = summary[summary["series"] == series]
        factor = SINGLE_FACTOR_SERIES.get(series)
        if level is not None and factor is not None:
            rows = rows[(rows[factor] - float(level)).abs() < 1e-9]
        if rows.empty:
            raise ConfigError(f"analysis.level_curve_models: no model of series {series!r}"
                              + (f" at level {level}" if level is not None else "")
                              + "; pick a series and level the config trains")
        label = "clean" if series == "clean" else f"{series} {factor or 'level'}={level:g}" if level is not None \
            else series
        chosen.append(rows.assign(model=label)[["architecture", "series", "set", "model"]])
    return pd.concat(chosen, ignore_index=True).drop_duplicates(["architecture", "series", "set"])


def run_level_figure(summary_path: str | Path, levels_path: str | Path, config: Mapping[str, Any],
                     figure_stem: str | Path) -> None:
    """Accuracy against benchmark level for the chosen models (clean vs perturbed)."""
    summary = _summary(summary_path)
    curves = pd.read_csv(levels_path)
    curves["set"] = curves["set"].astype(str)
    picks = choose_level_models(summary, (config.get("analysis") or {}).get("level_curve_models"))
    data = curves.merge(picks, on=["architecture", "series", "set"])
    if data.empty:
        raise DataError(f"{levels_path}: no benchmark levels for the chosen models; are benchmarks evaluated?")
    fg.level_curve_figure(data, figure_stem, "Accuracy against benchmark perturbation level")


def run_findings(summary_path: str | Path, config: Mapping[str, Any], findings_out: str | Path,
                 consistency_stem: str | Path) -> None:
    """findings.md (the six findings with verdicts) and the paper's p-value consistency table."""
    settings, thresholds = settings_from_config(config)
    summary = _summary(summary_path)
    text = fd.findings_markdown(fd.evaluate_findings(summary, settings, thresholds), settings, thresholds,
                                str(config.get("study", "")))
    atomic_write(findings_out, lambda tmp: tmp.write_text(text))
    table = pp.consistency()[["table", "architecture", "segment", "paper_testset", "r", "p", "n", "implied_p",
                              "erratum"]]
    tb.write_table(table, consistency_stem, "Consistency of the paper's p-values with its r (or R) and n",
                   ["implied_p: Spearman t-approximation for Tables 2-5, the OLS F-test with k factors for "
                    "Tables 6-7; n = models behind each correlation (from the paper's design).",
                    "erratum: p outside [0, 1] or more than 3x off the implied value."])
