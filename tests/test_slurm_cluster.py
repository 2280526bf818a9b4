"""The smoke study's core on a real one-node SLURM cluster is byte-identical to the local smoke run.

Installs Debian's slurm-wlm and munge (root, apt-get), starts munged/slurmctld/slurmd on localhost, runs
`snakemake --profile profiles/slurm` (the shipped profile; only what a cluster without accounting needs is
added on the command line) on `core_smoke_config` (config/smoke.yaml's main grid, analysis and main medical runs)
in a temporary workflow copy, and stops the daemons by their PIDs. Every artifact under results/smoke is compared
(sha256, `artifact_hashes`: run records such as logs and provenance excluded) with the session's local run of the
whole smoke study (`smoke_study`); the provenance records must name their SLURM job ids and hold the same output
hashes as the local records.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from . import slurm_cluster
from .workflow_utils import ROOT, artifact_hashes, compare_with_reference, core_smoke_config, workflow_copy

pytestmark = pytest.mark.slow

# Added to the shipped profile: what a cluster without job accounting needs (README), and a first status
# check after 1 s instead of 40 s (the smoke jobs take seconds).
CLUSTER_ARGS = ("--slurm-status-command", "squeue", "--slurm-no-account",
                "--slurm-init-seconds-before-status-checks", "1")
RUN_SECONDS = 1500  # the smoke study's core; about 3 minutes on 2 cores


def largest_memory_request() -> int:
    """The largest `mem_mb` of any rule or of the SLURM profile's defaults, in MB."""
    texts = [p.read_text() for p in sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    texts.append((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    return max(int(m) for text in texts for m in re.findall(r"mem_mb\s*[=:]\s*(\d+)", text))


@pytest.fixture(scope="module")
def cluster():
    reason = slurm_cluster.skip_reason()
    if reason:
        pytest.skip(reason)
    seconds = slurm_cluster.install()
    print(f"SLURM install: {seconds:.1f} s", file=sys.stderr)
    base = Path("/tmp") / f"perturbstudy-slurm-{time.time_ns()}"
    running = slurm_cluster.start(base, cpus=2, memory_mb=largest_memory_request())
    print(f"SLURM start: {running.start_seconds:.1f} s", file=sys.stderr)
    yield running
    running.stop()
    shutil.rmtree(base, ignore_errors=True)
    assert all(p.poll() is not None for p in running.procs.values()), "a SLURM daemon survived stop()"


def _records(study_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((study_dir / "provenance").rglob("*.json"))]


def test_smoke_study_on_slurm_matches_local(cluster, smoke_study, tmp_path):
    config = core_smoke_config()  # the same study name as the local run, so every path matches
    remote = workflow_copy(tmp_path)
    (remote / "test_config.yaml").write_text(yaml.safe_dump(config))
    snakemake = [sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", "--configfile", "test_config.yaml"]
    t0 = time.perf_counter()
    run = subprocess.run(["timeout", "-k", "30", str(RUN_SECONDS), *snakemake, *CLUSTER_ARGS], cwd=remote,
                         env=cluster.env, capture_output=True, text=True, timeout=RUN_SECONDS + 60)
    seconds = time.perf_counter() - t0
    if run.returncode in (124, 137):
        cluster.cancel_jobs()
        subprocess.run([*snakemake, "--unlock"], cwd=remote, capture_output=True, timeout=120)
    assert run.returncode == 0, f"snakemake exit {run.returncode}\n{run.stderr[-6000:]}\n{cluster.logs_tail()}"
    jobs = re.search(r"(\d+) of \1 steps \(100%\) done", run.stderr)
    print(f"SLURM run (smoke study's core, {jobs.group(1) if jobs else '?'} steps): {seconds:.1f} s", file=sys.stderr)

    study = Path("results") / config["study"]
    local, slurm = artifact_hashes(smoke_study / study), artifact_hashes(remote / study)
    assert any(p.startswith("analysis/") for p in slurm) and any(p.startswith("medical/") for p in slurm)
    found = compare_with_reference(local, slurm)
    assert not any(found.values()), f"SLURM vs local run of the smoke study: {found}"

    # provenance: every job ran inside SLURM and recorded the same output hashes as the local run
    records, local_records = _records(remote / study), _records(smoke_study / study)
    assert len(records) > 0
    outside = sorted(r["rule"] for r in records if not r["environment"]["slurm_job_id"])
    assert not outside, f"jobs that did not run inside SLURM: {outside}"
    assert all(r["environment"]["slurm_job_id"] is None for r in local_records)
    hashes = {p: h for r in records for p, h in r["outputs"].items()}
    local_hashes = {p: h for r in local_records for p, h in r["outputs"].items()}
    assert set(hashes) <= set(local_hashes), sorted(set(hashes) - set(local_hashes))
    # run records (report/provenance.csv: times, hosts) are excluded from the comparison, as above
    differ = sorted(p for p in hashes if p in local and hashes[p] != local_hashes[p])
    assert not differ, f"output hashes in the SLURM and local provenance records differ: {differ}"
    wrong = sorted(p for p, digest in hashes.items() if p in slurm and slurm[p] != digest)
    assert not wrong, f"provenance records that do not match their files: {wrong}"
