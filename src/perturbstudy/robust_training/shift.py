"""Clean, adversarial and corruption accuracy side by side (the RTDA comparison) and accuracy vs severity per
corruption family.

Inputs: each medical model's `medical_evaluate` metrics (GAcc on the clean test split, RAcc under each attack) and its
`corruption_evaluate` accuracies (one row per corruption and severity: CORRUPTION_COLUMNS). Per (CNN, method, seed):
GAcc, RAcc per attack, mCA, mCE and relative mCE (`corruptions.metrics.corruption_summary`, in percent: the STD model
of the same CNN and seed scores 100; NaN without that STD run); then, as Tables I/II, the mean over seeds with the
t-interval across seeds and the CNN-group rows (`tables.seed_summary`). Per (CNN, method, corruption, severity): the
accuracy's mean and interval across seeds (the figure's data).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..artifacts import atomic_path, atomic_write, read_csvs, write_csv
from ..errors import DataError
from .methods import METHOD_LABELS
from .tables import NA, _figure_module, _order, interval_markdown, load_metrics, markdown, seed_summary

CORRUPTION_COLUMNS = ["architecture", "method", "seed", "suite", "corruption", "severity", "n", "accuracy"]
REFERENCE = METHOD_LABELS["std"]
SCORES = ["mCA", "mCE", "relative_mCE"]
SUITE_LABELS = {"mnistc": "MNIST-C", "medmnistc": "MedMNIST-C"}
KEYS = ["architecture", "method", "seed"]


def corruption_frame(labels: Mapping[str, object], suite: str, rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """One model's accuracy per corruption and severity (rows of `corruptions.metrics.evaluate_corruptions`) with its
    labels (architecture, method, seed) and the suite: CORRUPTION_COLUMNS."""
    frame = pd.DataFrame([{**labels, "suite": suite, **r} for r in rows])
    return frame.reindex(columns=CORRUPTION_COLUMNS)


def load_corruption_accuracy(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Concatenate per-model corruption accuracy CSVs; DataError when one lacks a column or repeats a cell."""
    acc = read_csvs(paths, CORRUPTION_COLUMNS, "corruption accuracy", "corruption_evaluate",
                    {"architecture": str, "method": str, "corruption": str, "suite": str})
    if acc.duplicated([*KEYS, "corruption", "severity"]).any():
        row = acc[acc.duplicated([*KEYS, "corruption", "severity"])].iloc[0]
        raise DataError(f"corruption accuracy: ({row['corruption']}, severity {row['severity']}) appears twice for "
                        f"{row['architecture']} {row['method']} seed {row['seed']}")
    return acc


def _grid(rows: pd.DataFrame) -> dict[tuple[str, int], float]:
    return {(str(c), int(s)): float(a) for c, s, a in zip(rows["corruption"], rows["severity"], rows["accuracy"],
                                                         strict=True)}


def per_seed_scores(metrics: pd.DataFrame, corruption: pd.DataFrame, attacks: Sequence[str]) -> pd.DataFrame:
    """One row per (architecture, method, seed) with a corruption evaluation: GAcc, RAcc per attack, mCA, mCE and
    relative mCE, all in percent (mCE and relative mCE against STD of the same CNN and seed: STD = 100, NaN without
    it), and the corruptions whose (relative) CE is undefined (`undefined`)."""
    from ..corruptions.metrics import corruption_summary

    wide = metrics.pivot_table(index=KEYS, columns="testset", values="accuracy").reset_index()
    missing = [t for t in ["clean", *attacks] if t not in wide]
    if missing:
        raise DataError(f"medical metrics lack the test sets {missing}; rerun medical_evaluate")
    clean = {tuple(k): float(v) for k, v in zip(wide[KEYS].itertuples(index=False), wide["clean"], strict=True)}
    grids = {tuple(k): _grid(g) for k, g in corruption.groupby(KEYS, sort=False)}
    rows = []
    for (arch, method, seed), grid in grids.items():
        if (arch, method, seed) not in clean:
            raise DataError(f"{arch} {method} seed {seed} has corruption accuracies but no clean accuracy; "
                            "rerun medical_evaluate")
        ref = grids.get((arch, REFERENCE, seed))
        row = {"architecture": arch, "method": method, "seed": seed}
        if ref is None:
            row.update({"mCA": 100.0 * sum(grid.values()) / len(grid), "mCE": math.nan, "relative_mCE": math.nan,
                        "undefined": ""})
        else:
            s = corruption_summary(grid, clean[(arch, method, seed)], ref, clean[(arch, REFERENCE, seed)])
            undefined = sorted(set(s["undefined_CE"]) | set(s["undefined_relative_CE"]))
            row.update({"mCA": 100.0 * s["mCA"], "mCE": 100.0 * s["mCE"] + 0.0,  # + 0.0: no -0.00 shown
                        "relative_mCE": 100.0 * s["relative_mCE"] + 0.0, "undefined": " ".join(undefined)})
        rows.append(row)
    scores = pd.DataFrame(rows, columns=[*KEYS, *SCORES, "undefined"])
    adv = wide[[*KEYS, "clean", *attacks]].rename(columns={"clean": "GAcc"})
    adv[["GAcc", *attacks]] = adv[["GAcc", *attacks]] * 100.0
    return adv.merge(scores, on=KEYS, how="inner")


def shift_table(per_seed: pd.DataFrame, attacks: Sequence[str], archs: list[str], methods: list[str],
                confidence: float = 0.95) -> pd.DataFrame:
    """GAcc, RAcc per attack, mCA, mCE and relative mCE (%) per (CNN, method) and group row from `per_seed_scores`:
    seed means and t-intervals across seeds (`tables.seed_summary`), in config order."""
    values = ["GAcc", *attacks, *SCORES]
    return _order(seed_summary(per_seed, values, confidence), archs, methods)


def cell_table(corruption: pd.DataFrame, archs: list[str], methods: list[str],
               confidence: float = 0.95) -> pd.DataFrame:
    """Accuracy (%) per (CNN or group row, method, corruption, severity): mean over seeds and t-interval across
    seeds. Columns: architecture, method, corruption, severity, accuracy, n_seeds, accuracy_ci_low/high."""
    parts = []
    for (corr, sev), g in corruption.groupby(["corruption", "severity"], sort=False):
        per_seed = g[KEYS].assign(accuracy=100.0 * g["accuracy"].to_numpy(float))
        summary = seed_summary(per_seed, ["accuracy"], confidence)
        parts.append(summary.assign(corruption=corr, severity=int(sev)))
    columns = ["architecture", "method", "corruption", "severity", "accuracy", "n_seeds", "accuracy_ci_low",
               "accuracy_ci_high"]
    if not parts:
        return pd.DataFrame(columns=columns)
    cells = _order(pd.concat(parts, ignore_index=True), archs, methods)
    order = {c: i for i, c in enumerate(dict.fromkeys(corruption["corruption"]))}
    cells = cells.assign(_a=range(len(cells)), _c=cells["corruption"].map(order))
    cells = cells.sort_values(["_c", "severity", "_a"], kind="stable").drop(columns=["_a", "_c"])
    return cells[columns].reset_index(drop=True)


def shift_markdown(table: pd.DataFrame, attacks: Sequence[str], suite: str, corruptions: Sequence[str],
                   severities: Sequence[int], undefined: Sequence[str], confidence: float) -> str:
    """shift.md: what the columns are, then the side-by-side table with intervals."""
    note = (f"Cells: mean over seeds [{confidence:.0%} t-interval across seeds]; [{NA}] = not available (one seed). "
            f"GAcc = clean test accuracy, one column per attack = RAcc (Table I), mCA = mean accuracy over the "
            f"{len(corruptions)} {SUITE_LABELS.get(suite, suite)} corruptions ({', '.join(corruptions)}) at severities "
            f"{', '.join(map(str, severities))}; mCE and relative mCE (Hendrycks & Dietterich 2019) against the STD "
            "model of the same CNN and seed (STD = 100; lower = more robust; relative mCE counts only the accuracy "
            "lost from the model's own clean accuracy); NaN without an STD run. Group rows as in Table I. Paired tests "
            "of the abstract's claim: findings/rtda_claims.md.")
    if undefined:
        note += (f" Corruptions that do not hurt the STD model of some CNN and seed (its (relative) CE is undefined "
                 f"there and left out of that mean): {', '.join(undefined)}.")
    title = f"Clean, adversarial and corruption accuracy ({SUITE_LABELS.get(suite, suite)}) per method"
    return f"{title}\n\n{note}\n\n{markdown(interval_markdown(table, ['GAcc', *attacks, *SCORES], 2), 2)}"


def write_shift_tables(metric_paths: Iterable[str | Path], corruption_paths: Iterable[str | Path],
                       attacks: Sequence[str], archs: list[str], methods: list[str], suite: str,
                       out: Mapping[str, str], confidence: float = 0.95) -> pd.DataFrame:
    """Write the side-by-side table (`out["shift_csv"]`, `out["shift_md"]`) and the per-cell accuracies
    (`out["cells_csv"]`); return the side-by-side table."""
    metrics, corruption = load_metrics(metric_paths), load_corruption_accuracy(corruption_paths)
    per_seed = per_seed_scores(metrics, corruption, attacks)
    table = shift_table(per_seed, attacks, archs, methods, confidence)
    write_csv(out["shift_csv"], table)
    write_csv(out["cells_csv"], cell_table(corruption, archs, methods, confidence))
    undefined = sorted({c for u in per_seed["undefined"] for c in str(u).split()})
    text = shift_markdown(table, attacks, suite, list(dict.fromkeys(corruption["corruption"])),
                          sorted({int(s) for s in corruption["severity"]}), undefined, confidence)
    atomic_write(out["shift_md"], lambda tmp: tmp.write_text(text))
    return table


def family_curves(cells: pd.DataFrame, shift: pd.DataFrame, families: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Accuracy (%) per (architecture, method, family, severity): the mean over the family's corruptions of the
    seed-mean accuracies, with severity 0 = GAcc (the clean test split). Families without a built corruption are
    dropped; a corruption in no family is its own family."""
    built = list(dict.fromkeys(cells["corruption"]))
    groups = {f: [c for c in members if c in built] for f, members in families.items()}
    groups = {f: members for f, members in groups.items() if members}
    placed = {c for members in groups.values() for c in members}
    groups.update({c: [c] for c in built if c not in placed})
    rows = []
    clean = shift.set_index(["architecture", "method"])["GAcc"]
    for family, members in groups.items():
        sub = cells[cells["corruption"].isin(members)]
        mean = sub.groupby(["architecture", "method", "severity"], sort=False)["accuracy"].mean().reset_index()
        for (arch, method), g in mean.groupby(["architecture", "method"], sort=False):
            if (arch, method) in clean.index:
                rows.append({"architecture": arch, "method": method, "family": family, "severity": 0,
                             "accuracy": float(clean.loc[(arch, method)])})
            rows += [{"architecture": arch, "method": method, "family": family, "severity": int(s),
                      "accuracy": float(a)} for s, a in zip(g["severity"], g["accuracy"], strict=True)]
    return pd.DataFrame(rows, columns=["architecture", "method", "family", "severity", "accuracy"])


def severity_figure(cells_csv: str | Path, shift_csv: str | Path, families: Mapping[str, Sequence[str]],
                    methods: list[str], out_png: str | Path, suite: str) -> pd.DataFrame:
    """Accuracy vs severity per corruption family: one panel per family (columns) and CNN (rows; group rows are
    left out), a line per method (seed means, mean over the family's corruptions; severity 0 = clean). Returns the
    plotted data."""
    plt = _figure_module()
    cells, shift = pd.read_csv(cells_csv), pd.read_csv(shift_csv)
    curves = family_curves(cells, shift, families)
    cnns = [a for a in dict.fromkeys(shift["architecture"]) if a in set(cells["architecture"])
            and not str(a).endswith("(mean)")]
    curves = curves[curves["architecture"].isin(cnns)]
    names = list(dict.fromkeys(curves["family"]))
    labels = [METHOD_LABELS[m] for m in methods if METHOD_LABELS[m] in set(curves["method"])]
    fig, axes = plt.subplots(max(len(cnns), 1), max(len(names), 1), squeeze=False,
                             figsize=(2.8 * max(len(names), 1) + 1.6, 2.5 * max(len(cnns), 1) + 0.4))
    for i, arch in enumerate(cnns):
        for j, family in enumerate(names):
            ax = axes[i, j]
            sub = curves[(curves["architecture"] == arch) & (curves["family"] == family)]
            for method in labels:
                line = sub[sub["method"] == method].sort_values("severity")
                style = "-" if method.startswith("RTDA") else "--"
                ax.plot(line["severity"], line["accuracy"], style, marker="o", markersize=3, label=method)
            ax.set_title(f"{arch}: {family}", fontsize=8)
            ax.set_xticks(sorted({int(s) for s in sub["severity"]}))
            ax.set_ylim(0, 100)
            ax.tick_params(labelsize=7)
            if j == 0:
                ax.set_ylabel("accuracy (%)", fontsize=8)
            if i == len(cnns) - 1:
                ax.set_xlabel("severity (0 = clean)", fontsize=8)
    handles, legend = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, legend, loc="center right", fontsize=7)
    fig.suptitle(f"{SUITE_LABELS.get(suite, suite)}: accuracy vs severity per corruption family (seed means)",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0, 1 - 1.4 / fig.get_size_inches()[0], 0.95))
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)
    return curves.reset_index(drop=True)
