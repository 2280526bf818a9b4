# Paths of the analysis outputs and the targets the config produces (used by analysis.smk).
from perturbstudy.perturbation.series import SEGMENTED_SERIES, SINGLE_FACTOR_SERIES

ANALYSIS = f"{OUT}/analysis"
ANALYSIS_SERIES = list(dict.fromkeys(m.series for m in GRID))
ANALYSIS_SINGLE = [s for s in SINGLE_FACTOR_SERIES if s in ANALYSIS_SERIES]
ANALYSIS_SEGMENTED = [s for s in SEGMENTED_SERIES if s in ANALYSIS_SERIES]


def _table(stem, caption, subcategory):
    """Named outputs of one table: the CSV (in the report), Markdown and LaTeX."""
    return {
        "csv": report(f"{ANALYSIS}/tables/{stem}.csv", caption=f"../report/{caption}.rst", category="Tables",
                      subcategory=subcategory),
        "md": f"{ANALYSIS}/tables/{stem}.md",
        "tex": f"{ANALYSIS}/tables/{stem}.tex",
    }


def _figure(stem, caption, subcategory):
    """Named outputs of one figure: the PNG (in the report) and the PDF."""
    return {
        "png": report(f"{ANALYSIS}/figures/{stem}.png", caption=f"../report/{caption}.rst", category="Figures",
                      subcategory=subcategory),
        "pdf": f"{ANALYSIS}/figures/{stem}.pdf",
    }


def _files(stem, kind):
    exts = ("csv", "md", "tex") if kind == "tables" else ("png", "pdf")
    return [f"{ANALYSIS}/{kind}/{stem}.{ext}" for ext in exts]


def analysis_targets():
    """Every analysis output the config produces (series absent from the config are skipped)."""
    out = [f"{ANALYSIS}/summary.csv", f"{ANALYSIS}/findings.md", *_files("paper_consistency", "tables"),
           *_files("accuracy_vs_benchmark_level", "figures")]
    for s in ANALYSIS_SINGLE:
        out += [*_files(f"{s}_spearman", "tables"), *_files(f"{s}_accuracy", "figures")]
    for s in ANALYSIS_SEGMENTED:
        out += _files(f"{s}_segments", "tables")
    if "rq5_dual" in ANALYSIS_SERIES:
        out += [*_files("rq5_dual_multiple_correlation", "tables"), *_files("rq5_dual_slopes", "tables"),
                *_files("rq5_dual_heatmaps", "figures")]
    if "rq6_four" in ANALYSIS_SERIES:
        for t in ("multiple_correlation", "slopes", "main_effects", "effect_ranges", "anova"):
            out += _files(f"rq6_four_{t}", "tables")
        out += _files("rq6_four_main_effects", "figures")
    return out
