"""Run the Snakemake workflow on a config inside a temporary copy of the repository."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ("Snakefile", "workflow", "scripts", "config", "profiles")


def workflow_copy(dest: Path) -> Path:
    """Copy what the workflow needs (not results) into `dest`; return it."""
    for name in WORKFLOW_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        else:
            shutil.copy2(src, dest / name)
    return dest


def snakemake_cmd(workdir: Path, config: dict | Path, *args: str) -> list[str]:
    """The snakemake command line for a config (dict written to `workdir`/test_config.yaml, or a path)."""
    if isinstance(config, dict):
        path = workdir / "test_config.yaml"
        path.write_text(yaml.safe_dump(config))
    else:
        path = config
    return [sys.executable, "-m", "snakemake", "--configfile", str(path), "--cores", "2", *args]


def run_snakemake(workdir: Path, config: dict | Path, *args: str, timeout: int = 900,
                  env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """snakemake with a config (dict written to YAML, or a path) in `workdir`."""
    cmd = snakemake_cmd(workdir, config, *args)
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env)


# Run records hold times, hosts and job ids; everything else a study writes must be byte-identical.
RUN_RECORD_DIRS = ("logs", "benchmarks", "provenance", "resume")
# report/provenance.csv tabulates the provenance records (end times, wall seconds, hosts, git state): a run record
# too (README, Reliability).
RUN_RECORD_FILES = ("report/provenance.csv",)


def artifact_hashes(study_dir: Path) -> dict[str, str]:
    """sha256 of every artifact under `results/<study>`, by path relative to it, run records excluded."""
    hashes = {}
    for path in sorted(study_dir.rglob("*")):
        rel = path.relative_to(study_dir)
        if path.is_file() and rel.parts[0] not in RUN_RECORD_DIRS and rel.as_posix() not in RUN_RECORD_FILES:
            hashes[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def smoke_config(study: str = "smoke") -> dict:
    """config/smoke.yaml as a dict, under the given study name."""
    config = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    config["study"] = study
    return config


# What `core_smoke_config` leaves out: sections whose rules neither the kill test nor the SLURM test is about (each
# is exercised by the shared smoke study), so those re-runs of the smoke study cost half as much.
CORE_DROPPED = ("segmentation", "corruptions", "medical.corruptions", "medical.ablation")
# Artifacts of the kept rules, every one of which a core run must reproduce byte for byte.
CORE_PREFIXES = ("data/", "trainsets/", "models/", "eval/", "robustness_benchmarks/", "analysis/", "medical/data/",
                 "medical/models/", "medical/eval/")


def core_smoke_config(study: str = "smoke") -> dict:
    """config/smoke.yaml without CORE_DROPPED: the main grid, its analysis and the main medical runs."""
    config = smoke_config(study)
    for key in CORE_DROPPED:
        *parents, leaf = key.split(".")
        section = config
        for part in parents:
            section = section[part]
        del section[leaf]
    return config


def compare_with_reference(reference: dict[str, str], run: dict[str, str]) -> dict[str, list[str]]:
    """`run`'s artifacts against the full smoke study's (`artifact_hashes` of both): those it has that the reference
    lacks (extra), of CORE_PREFIXES that it lacks (missing), and those whose bytes differ (differ)."""
    core = {p for p in reference if p.startswith(CORE_PREFIXES)}
    return {"extra": sorted(set(run) - set(reference)), "missing": sorted(core - set(run)),
            "differ": sorted(p for p in set(run) & set(reference) if run[p] != reference[p])}


def job_counts(text: str) -> dict[str, int]:
    """Jobs per rule from Snakemake's "Job stats" table (a dry run's output)."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", text, re.M)}
