"""The smoke study's first jobs on a real one-node SLURM cluster give byte-identical results to a local run.

Installs Debian's slurm-wlm and munge (root, apt-get), starts munged/slurmctld/slurmd on localhost, runs
`snakemake --executor slurm` in a temporary workflow copy, and stops the daemons by their PIDs.
Compared: splits.pt, splits.json, model.pt (sha256). Not compared: history.csv (wall times per epoch)
and provenance records (times, host, SLURM job id); the records' output hashes are compared instead.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from perturbstudy.config import validate_config
from perturbstudy.design import model_grid

from . import slurm_cluster
from .workflow_utils import ROOT, run_snakemake, workflow_copy

pytestmark = pytest.mark.slow


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _config() -> tuple[dict, list[str]]:
    """The smoke config under its own study name, and two jobs' targets: the splits and the clean model."""
    config = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    config["study"] = "smoke_slurm"
    clean = next(k for k in model_grid(validate_config(dict(config))) if k.series == "clean")
    out = f"results/{config['study']}"
    targets = [f"{out}/data/splits.json",
               f"{out}/models/{clean.arch}/{clean.series}/{clean.setid}/seed{clean.seed}/model.pt"]
    return config, targets


DETERMINISTIC = ("data/splits.pt", "data/splits.json")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = slurm_cluster.skip_reason()
    if reason:
        pytest.skip(reason)
    seconds = slurm_cluster.install()
    print(f"SLURM install: {seconds:.1f} s", file=sys.stderr)
    base = Path("/tmp") / f"perturbstudy-slurm-{time.time_ns()}"
    running = slurm_cluster.start(base)
    print(f"SLURM start: {running.start_seconds:.1f} s", file=sys.stderr)
    yield running
    running.stop()
    assert all(p.poll() is not None for p in running.procs.values()), "a SLURM daemon survived stop()"


def test_smoke_on_slurm_matches_local(cluster, tmp_path):
    config, targets = _config()
    (tmp_path / "local").mkdir()
    (tmp_path / "slurm").mkdir()
    local = workflow_copy(tmp_path / "local")
    proc = run_snakemake(local, config, *targets)
    assert proc.returncode == 0, proc.stderr[-4000:]

    remote = workflow_copy(tmp_path / "slurm")
    (remote / "test_config.yaml").write_text(yaml.safe_dump(config))
    cmd = ["timeout", "-k", "20", "420", sys.executable, "-m", "snakemake", "--configfile", "test_config.yaml",
           "--executor", "slurm", "--jobs", "2", "--slurm-status-command", "squeue", "--slurm-no-account",
           "--slurm-init-seconds-before-status-checks", "1", "--latency-wait", "10", *targets]
    t0 = time.perf_counter()
    run = subprocess.run(cmd, cwd=remote, env=cluster.env, capture_output=True, text=True, timeout=480)
    seconds = time.perf_counter() - t0
    if run.returncode in (124, 137):
        subprocess.run([sys.executable, "-m", "snakemake", "--configfile", "test_config.yaml", "--unlock"],
                       cwd=remote, capture_output=True, timeout=120)
    assert run.returncode == 0, f"{run.stderr[-6000:]}\n{cluster.logs_tail()}"
    print(f"SLURM run ({len(targets)} targets, 2 jobs): {seconds:.1f} s", file=sys.stderr)
    assert "slurm" in (run.stdout + run.stderr).lower()

    out_local, out_slurm = (w / "results" / config["study"] for w in (local, remote))
    model = targets[1].split(f"results/{config['study']}/", 1)[1]
    for rel in (*DETERMINISTIC, model):
        assert (out_slurm / rel).exists(), f"{rel} missing after the SLURM run"
        assert _sha(out_slurm / rel) == _sha(out_local / rel), f"{rel} differs between SLURM and local runs"

    # provenance: same output hashes in the records; the SLURM record names its job id
    record = json.loads(next((out_slurm / "provenance" / "train").rglob("*.json")).read_text())
    local_record = json.loads(next((out_local / "provenance" / "train").rglob("*.json")).read_text())
    assert record["outputs"][model] == local_record["outputs"][model] == _sha(out_slurm / model)
    assert record["environment"]["slurm_job_id"], "the training job did not run inside SLURM"
    assert local_record["environment"]["slurm_job_id"] is None
