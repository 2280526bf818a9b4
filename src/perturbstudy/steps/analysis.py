"""Steps of workflow/rules/analysis.smk: the paper's Tables 2-7 and Figures 2-6 analogues and findings.md.

Each step imports the analysis modules it uses inside its body, so its code version covers exactly them.
"""

from __future__ import annotations

from pathlib import Path

from ..smk import Files, Job


def _stem(path: str) -> str:
    return str(Path(path).with_suffix(""))


def _exclusions(levels: str) -> list[str]:
    """Notes on the test images each equal-L2 level excludes (FGSM benchmark and white-box FGSM)."""
    from ..perturbation.analysis.io import EQUAL_L2_TESTSETS, read_level_curves
    from ..perturbation.analysis.tables import exclusion_notes

    curves = read_level_curves(levels)
    return [note for testset in EQUAL_L2_TESTSETS for note in exclusion_notes(curves, testset)]


def _stems(outputs: Files) -> dict[str, str]:
    """Stems of a multi-factor rule's named outputs: '<name>_csv' -> name; 'png' -> 'figure'."""
    stems = {name[: -len("_csv")]: _stem(path) for name, path in outputs.items() if name.endswith("_csv")}
    if "png" in outputs:
        stems["figure"] = _stem(outputs["png"])
    return stems


def analysis_summary(job: Job) -> None:
    """Reduce evaluation CSVs to the per-model-and-seed summary, its mean over seeds (the per-model summary) and
    the per-level benchmark curves."""
    from ..artifacts import write_csv
    from ..perturbation.analysis.io import level_curves, read_evaluations, seed_means, summarize_seeds

    data = read_evaluations(job.input.evals)
    per_seed = summarize_seeds(data)
    write_csv(job.output.seeds, per_seed)
    write_csv(job.output.summary, seed_means(per_seed))
    write_csv(job.output.levels, level_curves(data))


def analysis_single_factor(job: Job) -> None:
    """Spearman table (Tables 2, 4, 5 analogue), per-level table across seeds and accuracy-vs-level figure
    (error bars across seeds) of a single-factor series."""
    from ..perturbation.analysis import figures as fg
    from ..perturbation.analysis import tables as tb
    from ..perturbation.analysis.io import read_summary, series_rows
    from ..perturbation.series import SINGLE_FACTOR_SERIES, title

    series = job.params["series"]
    settings = tb.Settings.from_params(job.params["stats"])
    summary = read_summary(job.input.summary, series)
    per_seed = read_summary(job.input.seeds, series)
    table = tb.spearman_table(summary, series, settings, per_seed)
    notes = [*tb.table_notes(settings), *tb.seed_notes(table), *_exclusions(job.input.levels)]
    tb.write_table(table, _stem(job.output.csv), title(series), notes)
    levels = tb.levels_table(per_seed, series, settings.confidence)
    tb.write_table(levels, _stem(job.output.levels_csv), title(series) + ": accuracy per level across seeds",
                   tb.levels_notes(settings, levels))
    fg.series_figure(series_rows(summary, series), SINGLE_FACTOR_SERIES[series], _stem(job.output.png),
                     title(series), series_rows(per_seed, series), settings.confidence)


def analysis_segments(job: Job) -> None:
    """Table 3 analogue: the series split at its FGSM-benchmark peak per architecture."""
    from ..perturbation.analysis import tables as tb
    from ..perturbation.analysis.io import read_summary
    from ..perturbation.series import title

    series = job.params["series"]
    settings = tb.Settings.from_params(job.params["stats"])
    summary = read_summary(job.input.summary, series)
    table = tb.segments_table(summary, series, settings, seeds=read_summary(job.input.seeds, series))
    notes = ["Segment I: levels up to and including the FGSM-benchmark accuracy peak (found from the data per "
             "architecture); segment II: the levels after it. A split at the data's own maximum favours 'rises, "
             "then falls', so findings.md tests the segments split at the paper's peaks (L2 = 8, 7) instead.",
             *tb.table_notes(settings), *tb.seed_notes(table), *_exclusions(job.input.levels)]
    tb.write_table(table, _stem(job.output.csv), title(series) + ", two segments", notes)


def _multi_factor(job: Job) -> None:
    """Tables 6, 7 analogues; for RQ5 the heatmaps, for the orthogonal design main effects, ranges, ANOVA, plot."""
    from ..perturbation.analysis import figures as fg
    from ..perturbation.analysis import tables as tb
    from ..perturbation.analysis.io import read_summary, series_rows
    from ..perturbation.series import title

    series, out = job.params["series"], _stems(job.output)
    settings = tb.Settings.from_params(job.params["stats"])
    summary = read_summary(job.input.summary, series)
    name, seeds = title(series), tb.runs_seed_note(series_rows(summary, series))
    tb.write_table(tb.multiple_correlation_table(summary, series, settings), out["correlation"],
                   name + ": multiple correlation", [*tb.multi_notes(series, settings), seeds])
    tb.write_table(tb.coefficient_table(summary, series, settings), out["slopes"], name + ": OLS slopes",
                   [*tb.coefficient_notes(settings), seeds])
    figure_title = f"{name} ({seeds.split(':')[0]})"
    if "main_effects" not in out:
        fg.dual_heatmaps(series_rows(summary, series), out["figure"], figure_title)
        return
    effects = tb.main_effects_table(summary, series, settings)
    tb.write_table(effects, out["main_effects"], name + ": main effects", [*tb.main_effect_notes(settings), seeds])
    tb.write_table(tb.effect_range_table(summary, series), out["ranges"], name + ": effect ranges",
                   ["range = max - min of a factor's level means; rank 1 = the factor with the largest effect."])
    tb.write_table(tb.anova_table(summary, series), out["anova"], name + ": ANOVA",
                   ["Type-II ANOVA (statsmodels) of accuracy on the four factors as categorical main effects; "
                    "n runs of k levels leave n - 1 - 4(k - 1) residual degrees of freedom (L25: 8, L16: 3)."])
    fg.main_effects_figure(effects, out["figure"], f"{figure_title}: main effects, bars: "
                           f"{settings.confidence:.0%} intervals from the additive model's residual MSE")


def analysis_dual(job: Job) -> None:
    """RQ5: multiple correlation, slopes and heatmaps of the Gaussian x FGSM grid."""
    _multi_factor(job)


def analysis_orthogonal(job: Job) -> None:
    """RQ6: multiple correlation, slopes, main effects, ranges, ANOVA of the orthogonal design."""
    _multi_factor(job)


def analysis_level_figure(job: Job) -> None:
    """Accuracy against benchmark level for the chosen models (clean vs perturbed)."""
    from ..errors import DataError
    from ..perturbation.analysis import figures as fg
    from ..perturbation.analysis.io import choose_level_models, read_level_curves, read_summary

    curves = read_level_curves(job.input.levels)
    picks = choose_level_models(read_summary(job.input.summary), job.params.get("level_curve_models"))
    data = curves.merge(picks, on=["architecture", "series", "set"])
    if data.empty:
        raise DataError(f"{job.input.levels}: no benchmark levels for the chosen models; are benchmarks evaluated?")
    fg.level_curve_figure(data, _stem(job.output.png), "Accuracy against benchmark perturbation level")


def analysis_findings(job: Job) -> None:
    """findings.md (each finding's claims judged on ours and on the paper's numbers), the replication table and the
    paper's p-value consistency table."""
    from ..artifacts import atomic_write
    from ..perturbation.analysis import findings as fd
    from ..perturbation.analysis import paper as pp
    from ..perturbation.analysis import replication as rp
    from ..perturbation.analysis import tables as tb
    from ..perturbation.analysis.io import read_summary

    p = job.params
    settings = tb.Settings.from_params(p["stats"])
    thresholds = fd.Thresholds(**{k: float(v) for k, v in p["thresholds"].items()})
    summary = read_summary(job.input.summary)
    seeds = job.input.optional("seeds")
    tables = fd.our_tables(summary, settings, read_summary(seeds) if seeds else None)
    replication = rp.replication_table(tables)
    found = fd.evaluate_findings(summary, settings, thresholds, tables)
    text = fd.findings_markdown(found, settings, thresholds, str(p.get("study", "")),
                                int(summary["n_seeds"].min()), replication)
    atomic_write(job.output.findings, lambda tmp: tmp.write_text(text))
    tb.write_table(replication, _stem(job.output.replication_csv), "Replication of Wang et al. (2024) Tables 2-7",
                   rp.notes(replication))
    table = pp.consistency()[["table", "architecture", "segment", "paper_testset", "r", "p", "n", "implied_p",
                              "erratum"]]
    tb.write_table(table, _stem(job.output.csv), "Consistency of the paper's p-values with its r (or R) and n",
                   ["implied_p: Spearman t-approximation for Tables 2-5, the OLS F-test with k factors for "
                    "Tables 6-7; n = models behind each correlation (from the paper's design).",
                    "erratum: p outside [0, 1] or more than 3x off the implied value."])
