"""The study of Wang et al. 2024: the series table, the model grid, imbalance, label errors, the orthogonal
design, training sets, evaluation and analysis. Submodules are imported directly; this file stays light
so that Snakemake can read the series table without importing torch."""
