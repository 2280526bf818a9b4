"""Statistics, tables, figures and findings of the study (Wang et al. 2024, sections 2.4 and 3).

Modules: `io` (evaluation CSVs -> per-model summary), `stats` (Spearman, bootstrap, Holm, segments,
multiple correlation, main effects, ANOVA), `tables` (the paper's Tables 2-7 analogues and their
CSV / Markdown / LaTeX renderings), `figures` (Figures 2-6 analogues), `paper` (the paper's
published values), `findings` (the six findings with verdicts on our data).
"""

from ..series import CLEAN_SERIES, MULTI_FACTOR_SERIES, SEGMENTED_SERIES, SINGLE_FACTOR_SERIES

__all__ = ["CLEAN_SERIES", "MULTI_FACTOR_SERIES", "SEGMENTED_SERIES", "SINGLE_FACTOR_SERIES"]
