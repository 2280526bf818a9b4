"""Models per hour: one series job (K LeNet-5 in one process) vs one process per model, start-up included.

Runs the real workflow twice on the same K training sets (RQ1 Gaussian at K levels, a third of each
mnist5k class added, the default study's LeNet-5 settings) in a fresh temporary folder: first its
prerequisites (data, clean model, directions, training sets; untimed), then the K models' training
jobs, timed from Snakemake's start to its end,
- as one group (`group_size` null): one `train_lenet5_rq1_gaussian_0` job trains the K models as one
  stacked network;
- one model per job (`group_size: 1`): K jobs, each a Python process that starts, loads and trains one model.

Both runs use one core (`--cores 1`, one thread per job), so the ratio is models per core-hour; printed from
Snakemake's wall time (its one DAG build and its per-job scheduling included) and from the jobs' own seconds
(its benchmark files: each job's Python and torch start-up included). Then the same for the evaluation jobs of
the K models. Early stopping can end a stacked model at another epoch than the same model alone (float rounding
moves its validation accuracy by an image), so training is also printed per model-epoch.

    .venv/bin/python bench/series_jobs.py [--k 24] [--keep]
"""

from __future__ import annotations

import argparse
import copy
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
LEVELS = [0.5 * i for i in range(1, 25)]


def config(k: int, group_size: int | None) -> dict:
    """The default study's LeNet-5 and benchmark settings, one RQ1 series of k levels, no medical runs."""
    base = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    out = {key: copy.deepcopy(base[key]) for key in ("seeds", "data_seed", "dataset", "benchmarks", "whitebox")}
    out.update(study="series_bench", seeds=[0], threads=1,
               architectures={"lenet5": {**base["architectures"]["lenet5"], "group_size": group_size}},
               series={"seed": 0, "rq1_gaussian": {"architectures": ["lenet5"], "levels": LEVELS[:k],
                                                   "per_class": 120}})
    return out


def snakemake(workdir: Path, cfg: dict, *targets: str) -> float:
    """Build `targets` with snakemake on `cfg` in `workdir` with one core; return its wall seconds. Only missing
    files are made (--rerun-triggers mtime: the two configs' group rules differ in name and params)."""
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), "--configfile",
           str(path), "--cores", "1", "--rerun-triggers", "mtime", "--quiet", "all", "--", *targets]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"snakemake failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
    return seconds


def job_seconds(folder: Path) -> float:
    """Summed wall seconds of the jobs whose Snakemake benchmark files are under `folder` (not their cpu_time:
    Snakemake samples it at growing intervals, so a long job's last tens of seconds go uncounted)."""
    total = 0.0
    for path in folder.rglob("*.tsv"):
        with open(path) as handle:
            total += sum(float(row["s"]) for row in csv.DictReader(handle, delimiter="\t"))
    return total


def epochs_run(folder: Path) -> int:
    """Epochs trained by the models under `folder` (rows of their history.csv files)."""
    return sum(len(path.read_text().splitlines()) - 1 for path in folder.rglob("history.csv"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=24, help="models in the series (at most 24)")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (printed)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="perturbstudy-series-bench-"))
    study = workdir / "results" / "series_bench"
    k = min(args.k, len(LEVELS))
    models = [f"results/series_bench/models/lenet5/rq1_gaussian/L{level:g}/seed0/model.pt" for level in LEVELS[:k]]
    evals = [f"results/series_bench/eval/lenet5/rq1_gaussian/L{level:g}/seed0.csv" for level in LEVELS[:k]]
    try:
        grouped, alone = config(k, None), config(k, 1)
        prerequisites = ["results/series_bench/models/lenet5/clean/base/seed0/model.pt",
                         *[m.replace("models/", "trainsets/").replace("/seed0/model.pt", ".pt") for m in models],
                         "results/series_bench/robustness_benchmarks/gaussian.pt",
                         "results/series_bench/robustness_benchmarks/fgsm/lenet5.pt"]
        snakemake(workdir, grouped, *prerequisites)  # untimed
        rows, epochs = [], {}
        for stage, targets in (("train", models), ("evaluate", evals)):
            times = {}
            for name, cfg in (("series job", grouped), ("one process per model", alone)):
                shutil.rmtree(study / ("models/lenet5/rq1_gaussian" if stage == "train" else "eval"),
                              ignore_errors=True)
                shutil.rmtree(study / "benchmarks" / stage / "lenet5" / "rq1_gaussian", ignore_errors=True)
                wall = snakemake(workdir, cfg, *targets)  # evaluate: the models of the last training
                folder = study / "benchmarks" / stage / "lenet5" / "rq1_gaussian"
                times[name] = (wall, job_seconds(folder))
                if stage == "train":
                    epochs[name] = epochs_run(study / "models" / "lenet5" / "rq1_gaussian")
            rows.append((stage, times))
        print(f"{k} LeNet-5 models (RQ1 Gaussian, {k} levels, 4,800 training images each), one core")
        print("wall: Snakemake's run, its one DAG build included; jobs: the jobs' own seconds (each job's process "
              "start-up included)")
        print(f"{'stage':<10}{'measure':<7}{'series job s':>14}{'per model s':>13}{'models/h series':>17}"
              f"{'models/h alone':>16}{'ratio':>7}")
        both = {n: tuple(sum(t[n][i] for _, t in rows) for i in (0, 1)) for n in rows[0][1]}
        for stage, t in [*rows, ("both", both)]:
            for i, measure in enumerate(("wall", "jobs")):
                g, a = t["series job"][i], t["one process per model"][i]
                print(f"{stage:<10}{measure:<7}{g:>14.1f}{a:>13.1f}{3600 * k / g:>17.0f}{3600 * k / a:>16.0f}"
                      f"{a / g:>7.2f}x")
        print("goal: >= 3x")
        print(f"epochs run by the {k} models (early stopping; a stacked model's float rounding can move its best "
              f"epoch): series job {epochs['series job']}, one process per model {epochs['one process per model']}")
        train = rows[0][1]
        per_epoch = {n: train[n][1] / epochs[n] for n in train}
        print(f"training per model-epoch (jobs' seconds / epochs run; separates stacking from where early stopping "
              f"lands): series job {per_epoch['series job']:.3f} s, one process per model "
              f"{per_epoch['one process per model']:.3f} s, ratio "
              f"{per_epoch['one process per model'] / per_epoch['series job']:.2f}x")
    finally:
        if args.keep:
            print(f"working directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
