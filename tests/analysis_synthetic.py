"""Synthetic evaluation CSVs in the evaluation rule's exact format, for the analysis tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from perturbstudy.runtime import derive_seed

FACTORS = ("gaussian", "fgsm", "inverse_fgsm", "imbalance", "label_error")
BENCH_LEVELS = (1.0, 2.0, 3.0, 4.0)
ARCHS = ("lenet5", "alexnet8")


def l25() -> list[tuple[int, int, int, int]]:
    """An L25(5^4) orthogonal array: columns a, b, a+b, a+2b (mod 5)."""
    return [(a, b, (a + b) % 5, (a + 2 * b) % 5) for a in range(5) for b in range(5)]


def design() -> list[tuple[str, str, str, dict[str, float]]]:
    """(arch, series, setid, factor levels) of the synthetic study."""
    sets = []
    for arch in ARCHS:
        sets.append((arch, "clean", "base", {}))
        for lv in np.arange(1.0, 13.0):
            sets.append((arch, "rq1_gaussian", f"l{lv:g}", {"gaussian": float(lv)}))
            sets.append((arch, "rq2_fgsm", f"l{lv:g}", {"fgsm": float(lv)}))
        for lv in (0.25, 0.3, 0.35, 0.4, 0.45):
            sets.append((arch, "rq3_imbalance", f"ci{lv:g}", {"imbalance": lv}))
        for lv in (0.1, 0.2, 0.3, 0.4, 0.5):
            sets.append((arch, "rq4_label_error", f"ld{lv:g}", {"label_error": lv}))
        for g in (0.0, 2.0, 4.0):
            for f in (0.0, 2.0, 4.0):
                sets.append((arch, "rq5_dual", f"g{g:g}_f{f:g}", {"gaussian": g, "fgsm": f}))
        for i, (a, b, c, d) in enumerate(l25()):
            sets.append((arch, "rq6_four", f"run{i:02d}",
                         {"gaussian": 2.0 * a, "fgsm": 2.0 * b, "imbalance": 0.2 + 0.05 * c, "label_error": 0.05 * d}))
    return sets


def true_accuracy(arch: str, series: str, p: dict[str, float], testset: str) -> float:
    """Mean accuracy (over benchmark levels) the synthetic model of these factor levels has."""
    g, f, ci, ld = (p.get(k, 0.0) for k in ("gaussian", "fgsm", "imbalance", "label_error"))
    shift = 0.01 if arch == "alexnet8" else 0.0
    if testset in ("train", "test"):
        return 0.97 + shift - 0.1 * ld - 0.02 * ci + 0.0005 * g
    if testset == "gaussian_benchmark":
        return 0.80 + shift + 0.01 * g - 0.004 * f - 0.2 * ci - 0.1 * ld
    if testset == "fgsm_benchmark":
        peak = 8.0 if arch == "lenet5" else 7.0
        rise = 0.08 * f if f <= peak else 0.08 * peak - 0.05 * (f - peak)
        return 0.20 + shift + rise + 0.005 * g + 0.05 * ld + 0.02 * ci
    return 0.10 + shift + 0.03 * f + 0.002 * g  # white-box


def write_eval_csvs(root: Path, study: str = "synth", seeds: tuple[int, ...] = (0,), noise: float = 0.002,
                    with_mean_rows: bool = True, sets: list | None = None) -> list[Path]:
    """Write one CSV per model (of `sets`, default `design()`) under root/results/<study>/eval/...; return paths."""
    paths = []
    for arch, series, setid, params in sets if sets is not None else design():
        for seed in seeds:
            rng = np.random.default_rng(derive_seed("synthetic", arch, series, setid, seed))  # not salted hash()
            rows = []
            levels = {k: params.get(k, 0.0) for k in FACTORS}
            base = dict(model=f"{arch}/{series}/{setid}", architecture=arch, series=series, set=setid, seed=seed)
            for testset in ("train", "test"):
                acc = true_accuracy(arch, series, params, testset) + noise * rng.standard_normal()
                rows.append({**base, "testset": testset, "attack": "none", "benchmark_level": "",
                             "accuracy": float(np.clip(acc, 0, 1)), "n": 100, **levels})
            for testset, attack in (("gaussian_benchmark", "gaussian"), ("fgsm_benchmark", "fgsm"),
                                    ("whitebox_fgsm", "fgsm"), ("whitebox_pgd_l2", "pgd_l2")):
                mean = true_accuracy(arch, series, params, testset) + noise * rng.standard_normal()
                offsets = 0.02 * (np.array(BENCH_LEVELS) - np.mean(BENCH_LEVELS))
                accs = np.clip(mean - offsets, 0, 1)
                for lv, acc in zip(BENCH_LEVELS, accs, strict=True):
                    rows.append({**base, "testset": testset, "attack": attack, "benchmark_level": lv,
                                 "accuracy": float(acc), "n": 100, **levels})
                if with_mean_rows:  # a decoy the loader must ignore
                    rows.append({**base, "testset": testset, "attack": attack, "benchmark_level": "mean",
                                 "accuracy": 0.0, "n": 400, **levels})
            path = root / "results" / study / "eval" / arch / series / setid / f"seed{seed}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(rows).to_csv(path, index=False)
            paths.append(path)
    return paths
