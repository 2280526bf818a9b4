"""The published numbers of Wang et al. 2024 (Sensors 24:4874), Tables 2-7, transcribed from the text.

Test sets map to ours as MNIST-Test -> test, MNIST-C -> gaussian_benchmark, MNIST-A -> fgsm_benchmark.
`consistency()` recomputes each p from its r (or R) and n to expose the paper's evident errata.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import stats as sps

from ..series import SPECS
from .verdicts import Evidence

TESTSETS = {"MNIST-Test": "test", "MNIST-C": "gaussian_benchmark", "MNIST-A": "fgsm_benchmark"}
ARCHS = {"LeNet-5": "lenet5", "AlexNet-8": "alexnet8"}

# Table -> (series, statistic kind), from the series table.
TABLES = {spec.paper_table: (name, "spearman" if spec.layout == "single" else "multiple")
          for name, spec in SPECS.items() if spec.paper_table}
# Models behind each correlation: 24 levels + clean (T2, T3); 8 CIs + the original set's 0.2 (T4);
# 10 rates + clean (T5); a 6 x 6 grid (T6); the L25 array (T7). T3 segments from the text.
N_MODELS = {"Table 2": 25, "Table 4": 9, "Table 5": 11, "Table 6": 36, "Table 7": 25}
SEGMENTS = {  # Table 3: (arch, segment) -> (first level, last level, n)
    ("lenet5", "I"): (0.0, 8.0, 17), ("lenet5", "II"): (8.5, 12.0, 8),
    ("alexnet8", "I"): (0.0, 7.0, 15), ("alexnet8", "II"): (7.5, 12.0, 10),
}
FACTORS_K = {"Table 6": 2, "Table 7": 4}
# FGSM-benchmark peak (end of segment I) and the paper's recommended limits on FGSM training level.
FGSM_PEAK = {"lenet5": 8.0, "alexnet8": 7.0}
FGSM_LIMIT_FINDING2 = 8.0
FGSM_LIMIT_DISCUSSION = 6.0

_ROWS = [  # table, arch, segment, paper test set, r, p, mean, variance
    ("Table 2", "LeNet-5", "", "MNIST-Test", 0.275, 0.184, 0.891, 0.0147),
    ("Table 2", "LeNet-5", "", "MNIST-C", 0.489, 0.013, 0.866, 0.0144),
    ("Table 2", "LeNet-5", "", "MNIST-A", 0.730, 3.347, 0.322, 0.0023),
    ("Table 2", "AlexNet-8", "", "MNIST-Test", 0.408, 0.043, 0.986, 3.45e-6),
    ("Table 2", "AlexNet-8", "", "MNIST-C", 0.977, 5.83e-17, 0.947, 8.42e-4),
    ("Table 2", "AlexNet-8", "", "MNIST-A", 0.984, 7.24e-19, 0.315, 0.0017),
    ("Table 3", "LeNet-5", "I", "MNIST-Test", -0.460, 0.063, 0.987, 2.97e-6),
    ("Table 3", "LeNet-5", "I", "MNIST-C", -0.716, 0.001, 0.917, 1.92e-4),
    ("Table 3", "LeNet-5", "I", "MNIST-A", 0.998, 9.58e-19, 0.737, 0.0546),
    ("Table 3", "LeNet-5", "II", "MNIST-Test", -0.357, 0.385, 0.872, 0.0204),
    ("Table 3", "LeNet-5", "II", "MNIST-C", -0.500, 0.207, 0.750, 0.0210),
    ("Table 3", "LeNet-5", "II", "MNIST-A", -0.690, 0.058, 0.676, 0.0585),
    ("Table 3", "AlexNet-8", "I", "MNIST-Test", -0.063, 0.825, 0.987, 2.44e-6),
    ("Table 3", "AlexNet-8", "I", "MNIST-C", -0.557, 0.031, 0.894, 0.0012),
    ("Table 3", "AlexNet-8", "I", "MNIST-A", 1.0, 0.0, 0.681, 0.0607),
    ("Table 3", "AlexNet-8", "II", "MNIST-Test", 0.268, 0.454, 0.985, 8.32e-7),
    ("Table 3", "AlexNet-8", "II", "MNIST-C", 0.345, 0.328, 0.779, 2.03e-4),
    ("Table 3", "AlexNet-8", "II", "MNIST-A", -1.0, 6.65e-64, 0.846, 0.0041),
    ("Table 4", "LeNet-5", "", "MNIST-Test", -0.483, 0.187, 0.980, 2.46e-5),
    ("Table 4", "LeNet-5", "", "MNIST-C", -0.533, 0.139, 0.895, 5.88e-4),
    ("Table 4", "LeNet-5", "", "MNIST-A", 0.250, 0.516, 0.303, 7.43e-4),
    ("Table 4", "AlexNet-8", "", "MNIST-Test", -0.795, 0.010, 0.984, 2.71e-6),
    ("Table 4", "AlexNet-8", "", "MNIST-C", -0.900, 0.0009, 0.831, 0.0021),
    ("Table 4", "AlexNet-8", "", "MNIST-A", 0.717, 0.030, 0.260, 1.69e-4),
    ("Table 5", "LeNet-5", "", "MNIST-Test", -0.645, 0.032, 0.910, 0.0055),
    ("Table 5", "LeNet-5", "", "MNIST-C", -0.682, 0.021, 0.820, 0.0093),
    ("Table 5", "LeNet-5", "", "MNIST-A", 0.009, 0.979, 0.322, 0.0013),
    ("Table 5", "AlexNet-8", "", "MNIST-Test", -0.755, 0.007, 0.970, 1.15e-4),
    ("Table 5", "AlexNet-8", "", "MNIST-C", -0.236, 0.484, 0.866, 8.73e-4),
    ("Table 5", "AlexNet-8", "", "MNIST-A", 0.909, 0.0001, 0.328, 0.0014),
    ("Table 6", "LeNet-5", "", "MNIST-Test", 0.322, 0.163, math.nan, math.nan),
    ("Table 6", "LeNet-5", "", "MNIST-C", 0.105, 0.832, math.nan, math.nan),
    ("Table 6", "LeNet-5", "", "MNIST-A", 0.653, 1.00e-4, math.nan, math.nan),
    ("Table 6", "AlexNet-8", "", "MNIST-Test", 0.361, 0.100, math.nan, math.nan),
    ("Table 6", "AlexNet-8", "", "MNIST-C", 0.892, 4.39e-12, math.nan, math.nan),
    ("Table 6", "AlexNet-8", "", "MNIST-A", 0.850, 6.38e-10, math.nan, math.nan),
    ("Table 7", "LeNet-5", "", "MNIST-Test", 0.414, 0.415, math.nan, math.nan),
    ("Table 7", "LeNet-5", "", "MNIST-C", 0.373, 0.535, math.nan, math.nan),
    ("Table 7", "LeNet-5", "", "MNIST-A", 0.922, 5.75e-8, math.nan, math.nan),
    ("Table 7", "AlexNet-8", "", "MNIST-Test", 0.964, 3.15e-11, math.nan, math.nan),
    ("Table 7", "AlexNet-8", "", "MNIST-C", 0.779, 6.15e-4, math.nan, math.nan),
    ("Table 7", "AlexNet-8", "", "MNIST-A", 0.529, 0.143, math.nan, math.nan),
]

# Errata that no recomputation from r and n can reveal, with where they are.
TEXT_ERRATA = {
    "Table 6": ["Section 3.5 speaks of 26 dual-factor training sets; the 6 x 6 design has 36, and Table 6's "
                "p-values match n = 36 (see the consistency check)."],
    "Table 3": ["With r = +-1 the t-approximation gives p = 0; the p = 6.65e-64 of AlexNet-8 segment II is a "
                "floating-point artefact (scipy returns such values), and 0.0 is not an attainable p. The exact "
                "permutation p of a perfect rank correlation over n points is 2/n! (n = 10: 5.5e-7)."],
}


def published() -> pd.DataFrame:
    """The paper's table values: table, series, architecture, segment, testset, r, p, mean, variance, n."""
    rows = []
    for table, arch, segment, testset, r, p, mean, var in _ROWS:
        a = ARCHS[arch]
        n = SEGMENTS[(a, segment)][2] if segment else N_MODELS[table]
        rows.append({"table": table, "series": TABLES[table][0], "architecture": a, "segment": segment,
                     "paper_testset": testset, "testset": TESTSETS[testset], "r": r, "p": p, "mean": mean,
                     "variance": var, "n": n})
    return pd.DataFrame(rows)


def implied_p(table: str, r: float, n: int) -> float:
    """The p a coefficient implies: Spearman's t-approximation (scipy), or the OLS F-test of R with k factors."""
    if abs(r) >= 1:
        return 0.0
    if TABLES[table][1] == "spearman":
        t = r * math.sqrt((n - 2) / (1 - r * r))
        return float(2 * sps.t.sf(abs(t), n - 2))
    k = FACTORS_K[table]
    f = (r * r / k) / ((1 - r * r) / (n - k - 1))
    return float(sps.f.sf(f, k, n - k - 1))


def consistency(tolerance: float = 3.0) -> pd.DataFrame:
    """Every published p next to the p its r and n imply; `erratum` flags p outside [0, 1] or off by > tolerance x.

    The comparison is on p's order of magnitude, so rounding of r (3 decimals) does not trip it.
    """
    frame = published()
    frame["implied_p"] = [implied_p(t, r, n) for t, r, n in zip(frame["table"], frame["r"], frame["n"], strict=True)]

    def verdict(p: float, q: float) -> str:
        if not 0 <= p <= 1:
            return f"p = {p:g} is not a probability; r and n imply p = {q:.3g}"
        if q == 0 or p == 0:  # r = +-1 or p printed as 0: see TEXT_ERRATA
            return ""
        ratio = max(p, q) / min(p, q)
        return f"reported p = {p:g}, implied {q:.3g}" if ratio > tolerance and max(p, q) > 1e-12 else ""

    frame["erratum"] = [verdict(p, q) for p, q in zip(frame["p"], frame["implied_p"], strict=True)]
    return frame


def attainable_p(n: int) -> float:
    """Smallest two-sided exact p of a Spearman r over n points without ties: 2 / n!."""
    return min(1.0, 2.0 / math.factorial(n))


def fieller_interval(r: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Approximate interval of a Spearman r from r and n alone (Fieller et al. 1957: atanh(r) has variance
    1.06 / (n - 3)); the paper gives nothing else to bound its coefficients with. NaN for n <= 3 or |r| = 1."""
    if n <= 3 or abs(r) >= 1:
        return (math.nan, math.nan)
    half = sps.norm.ppf(0.5 + confidence / 2) * math.sqrt(1.06 / (n - 3))
    return (math.tanh(math.atanh(r) - half), math.tanh(math.atanh(r) + half))


def usable_p(p: float, implied: float, n: int, spearman: bool) -> tuple[float, str]:
    """The printed p as a test can use it, and what was changed: a p outside [0, 1] is replaced by the p its r
    and n imply; a printed 0 (or a float artefact below it) by the attainable minimum 2/n! of a Spearman r."""
    if not 0 <= p <= 1:
        return implied, f"printed p = {p:g} is not a probability; the p its r and n imply ({implied:.3g}) is used"
    floor = attainable_p(n) if spearman else 0.0
    if p < floor or p == 0:
        return floor, f"printed p = {p:g} is below the attainable 2/{n}! = {floor:.3g}, which is used"
    return p, ""


def evidence(table: str, architecture: str, testset: str, segment: str = "") -> Evidence | None:
    """The paper's statistic for one (table, architecture, our test set, segment) as the verdicts take it."""
    rows = consistency()
    rows = rows[(rows["table"] == table) & (rows["architecture"] == architecture) & (rows["testset"] == testset)
                & (rows["segment"] == segment)]
    if rows.empty:
        return None
    row = rows.iloc[0]
    spearman = TABLES[table][1] == "spearman"
    n = int(row["n"])
    p, note = usable_p(float(row["p"]), float(row["implied_p"]), n, spearman)
    lo, hi = fieller_interval(float(row["r"]), n) if spearman else (math.nan, math.nan)
    return Evidence("r" if spearman else "R", float(row["r"]), p, n, attainable_p(n) if spearman else math.nan,
                    lo, hi, note)
