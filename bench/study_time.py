"""End-to-end time of a study (not a test; prints times and ratios).

Runs `snakemake` on a config from scratch in a fresh working directory (the repository's
`results/` is never touched) and prints:
- the wall time of the whole run (goal for config/config.yaml on 2 cores: <= 30 minutes);
- the sum of the jobs' times from Snakemake's benchmark files (`results/<study>/benchmarks/**.tsv`)
  and its ratio to the wall time;
- CPU utilisation: the jobs' summed CPU time over (wall time x cores), i.e. how well the
  scheduler kept the cores busy (1.0 = both cores busy all the time); a lower bound: Snakemake
  samples a job's CPU time every 0.5 s at first, then every 30 s, so a long job's last seconds
  go uncounted;
- per rule: jobs, summed seconds, share of the total.

`--from-results results/<study>` summarises a finished run instead of starting one; its wall time
is then the span of the jobs' provenance records (first start to last end), which leaves out
Snakemake's own start-up.

Usage: .venv/bin/python bench/study_time.py [--config config/config.yaml] [--cores 2] [--keep]
       .venv/bin/python bench/study_time.py --from-results results/default
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def job_times(study_dir: Path) -> list[tuple[str, float, float]]:
    """(rule, seconds, cpu seconds) of every job, from Snakemake's benchmark files under `study_dir`."""
    rows = []
    for path in sorted((study_dir / "benchmarks").rglob("*.tsv")):
        rel = path.relative_to(study_dir / "benchmarks")
        stage = rel.parts[:2] if rel.parts[0] == "medical" else rel.parts[:1]  # medical/<rule>/... or <rule>/...
        rule = "/".join(stage).removesuffix(".tsv")
        with open(path) as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                rows.append((rule, float(row["s"]), float(row["cpu_time"] or 0.0)))
    return rows


def provenance_span(study_dir: Path) -> float:
    """Seconds from the first job's start to the last job's end, from the provenance records."""
    starts, ends = [], []
    for path in (study_dir / "provenance").rglob("*.json"):
        record = json.loads(path.read_text())
        starts.append(datetime.fromisoformat(record["start"]))
        ends.append(datetime.fromisoformat(record["end"]))
    if not starts:
        raise SystemExit(f"no provenance records under {study_dir}/provenance: is this a finished study folder?")
    return (max(ends) - min(starts)).total_seconds()


def run_study(config: Path, cores: int, workdir: Path) -> float:
    """Run the whole study in `workdir` (a fresh directory) and return its wall time in seconds."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
           "--configfile", str(config.resolve()), "--cores", str(cores), "--quiet", "progress"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the study failed (exit {proc.returncode}); see the logs under {workdir}/results")
    return wall


def report(study_dir: Path, wall: float, cores: int) -> None:
    jobs = job_times(study_dir)
    total = sum(s for _, s, _ in jobs)
    cpu = sum(c for _, _, c in jobs)
    print(f"study: {study_dir}")
    print(f"wall time:                {wall:9.1f} s  ({wall / 60:.1f} min; goal <= 30 min on 2 cores)")
    print(f"jobs:                     {len(jobs):9d}")
    print(f"sum of job times:         {total:9.1f} s  (ratio to wall time {total / wall:.2f})")
    print(f"sum of job CPU times:     {cpu:9.1f} s  (CPU utilisation >= {cpu / (wall * cores):.2f} of {cores} cores: "
          "Snakemake samples long jobs every 30 s)")
    per_rule: dict[str, list[float]] = defaultdict(list)
    for rule, seconds, _ in jobs:
        per_rule[rule].append(seconds)
    print(f"\n{'rule':<28}{'jobs':>6}{'seconds':>10}{'share':>8}{'mean s':>9}")
    for rule, times in sorted(per_rule.items(), key=lambda item: -sum(item[1])):
        print(f"{rule:<28}{len(times):>6}{sum(times):>10.1f}{sum(times) / total:>8.1%}{sum(times) / len(times):>9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", action="store_true", help="keep the working directory (printed)")
    parser.add_argument("--from-results", type=Path, help="summarise this finished study folder; run nothing")
    args = parser.parse_args()
    if args.from_results:
        report(args.from_results, provenance_span(args.from_results), args.cores)
        return
    if not args.config.is_file():
        raise SystemExit(f"config not found: {args.config}")
    study = yaml.safe_load(args.config.read_text())["study"]
    workdir = Path(tempfile.mkdtemp(prefix="perturbstudy-study-time-"))
    try:
        wall = run_study(args.config, args.cores, workdir)
        report(workdir / "results" / study, wall, args.cores)
    finally:
        if args.keep:
            print(f"\nworking directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
