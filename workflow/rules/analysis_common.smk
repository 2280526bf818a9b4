# Output names of the analysis tables and figures, and the analysis targets the config produces.
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


def analysis_targets():
    """Every analysis output the config produces (series absent from the config are skipped)."""
    out = [*rules.analysis_summary.output, *rules.analysis_findings.output, *rules.analysis_level_figure.output]
    out += expand(rules.analysis_single_factor.output, series=ANALYSIS_SINGLE)
    out += expand(rules.analysis_segments.output, series=ANALYSIS_SEGMENTED)
    if "rq5_dual" in ANALYSIS_SERIES:
        out += rules.analysis_dual.output
    if "rq6_four" in ANALYSIS_SERIES:
        out += rules.analysis_orthogonal.output
    return out
