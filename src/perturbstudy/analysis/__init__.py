"""Statistics, tables, figures and findings of the study (Wang et al. 2024, sections 2.4 and 3).

Modules: `io` (evaluation CSVs -> per-model summary), `stats` (Spearman, bootstrap, Holm, segments,
multiple correlation, main effects, ANOVA), `tables` (the paper's Tables 2-7 analogues and their
CSV / Markdown / LaTeX renderings), `figures` (Figures 2-6 analogues), `paper` (the paper's
published values), `findings` (the six findings with verdicts on our data).
"""

# Series of the study and the factor each single-factor series varies.
SINGLE_FACTOR_SERIES = {
    "rq1_gaussian": "gaussian",
    "rq2_fgsm": "fgsm",
    "rq2_inverse_fgsm": "inverse_fgsm",
    "rq3_imbalance": "imbalance",
    "rq4_label_error": "label_error",
}
# Multi-factor series and the factors each one varies.
MULTI_FACTOR_SERIES = {
    "rq5_dual": ("gaussian", "fgsm"),
    "rq6_four": ("gaussian", "fgsm", "imbalance", "label_error"),
}
# The series whose FGSM-benchmark curve is split at its peak (Table 3).
SEGMENTED_SERIES = ("rq2_fgsm",)
CLEAN_SERIES = "clean"
