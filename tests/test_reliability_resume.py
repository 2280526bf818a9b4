"""Reliability: kill anywhere and resume, determinism, nothing left to do after a complete run.

The kill test runs the smoke study's core (`core_smoke_config`: the main grid, its analysis and the main medical
runs) in its own workflow copy, started in a new session so that `os.killpg(SIGKILL)` takes down Snakemake and
every job it runs. It kills at each point of KILL_POINTS when that point's event is observed (a file that appears or
is rewritten during the current run), then unlocks and reruns with `--rerun-incomplete`, until the study completes.
Every artifact must then be byte-identical to the uninterrupted `smoke_study`'s (run records excluded,
`artifact_hashes`), and a training killed after an epoch checkpoint must have continued from it (its log says so).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from perturbstudy.artifacts import atomic_path, atomic_write
from perturbstudy.provenance import canonical_params

from .workflow_utils import (
    artifact_hashes,
    compare_with_reference,
    core_smoke_config,
    run_snakemake,
    smoke_config,
    snakemake_cmd,
    workflow_copy,
)

STUDY = "smoke"  # the reference's name: paths inside artifacts (e.g. a source model's path) must match
RESUME_LINE = "resume: continuing"


@dataclass(frozen=True)
class KillPoint:
    """Kill the whole process group when a file matching `pattern` (under results/<study>) is (re)written."""

    name: str
    pattern: str
    resume: bool = False  # a training killed after an epoch checkpoint: it must continue from it

    def fired(self, study: Path, since_ns: int) -> bool:
        for path in study.glob(self.pattern):
            try:
                if path.stat().st_mtime_ns >= since_ns and not path.name.endswith(".tmp"):
                    return True
            except FileNotFoundError:  # renamed or removed between glob and stat
                continue
        return False


KILL_POINTS = (
    KillPoint("data preparation (job started)", "logs/prepare_data.log"),
    KillPoint("training, mid-epoch right after an epoch checkpoint", "resume/lenet5/*/*/seed0.pt", resume=True),
    KillPoint("FGSM benchmark build", "logs/benchmark_fgsm/lenet5.log"),
    KillPoint("a job's outputs written, Snakemake not yet told", "provenance/trainset/**/*.json"),
    KillPoint("evaluation", "logs/evaluate/**/*.log"),
    KillPoint("analysis, tables being written", "analysis/tables/*"),
    KillPoint("medical training", "logs/medical/train/**/*.log"),
    KillPoint("medical evaluation", "logs/medical/evaluate/**/*.log"),
    KillPoint("provenance summary", "logs/provenance_summary.log"),
)


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group of `proc` (Snakemake and its jobs) and wait until none of it is left."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for _ in range(500):
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    raise AssertionError(f"process group {proc.pid} survived SIGKILL")


def _run_until(work: Path, cmd: list[str], pending: list[KillPoint], log: Path, timeout: float):
    """Run `cmd` in a new session; kill it at the first pending event. Return (point hit or None, return code)."""
    study = work / "results" / STUDY
    since = time.time_ns()
    with open(log, "a") as out:
        proc = subprocess.Popen(cmd, cwd=work, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            _kill_group(proc)
            raise AssertionError(f"snakemake did not finish in {timeout} s; see {log}")
        for point in pending:
            if point.fired(study, since):
                _kill_group(proc)
                return point, None
        time.sleep(0.02)
    return None, proc.returncode


def _interrupted_trainings(study: Path) -> list[Path]:
    """Training logs of the training groups that have an epoch checkpoint (deleted when the group's job ends)."""
    logs = []
    for ckpt in (study / "resume").rglob("seed*.pt"):
        rel = ckpt.relative_to(study / "resume")  # <arch>/<series>/g<index>/seed<S>.pt
        logs.append(study / "logs" / "train" / rel.with_suffix(".log"))
    return logs


@pytest.fixture(scope="module")
def killed_study(tmp_path_factory) -> dict:
    """The smoke study's core killed at every point of KILL_POINTS in turn and rerun until complete."""
    work = workflow_copy(tmp_path_factory.mktemp("smoke_killed"))
    study = work / "results" / STUDY
    cmd = snakemake_cmd(work, core_smoke_config(STUDY), "--rerun-incomplete")
    unlock = snakemake_cmd(work, work / "test_config.yaml", "--unlock")
    log = work / "snakemake_runs.log"
    pending, hit, interrupted, resumed = list(KILL_POINTS), [], set(), set()
    start, returncode = time.monotonic(), None
    for _ in range(3 * len(KILL_POINTS)):
        point, returncode = _run_until(work, cmd, pending, log, timeout=900)
        interrupted |= set(_interrupted_trainings(study)) if point and point.resume else set()
        resumed |= {p for p in interrupted if p.exists() and RESUME_LINE in p.read_text()}
        if point is None:
            break
        if not point.resume or interrupted:  # a checkpoint kill counts once a training really was cut short
            pending.remove(point)
            hit.append(point.name)
        subprocess.run(unlock, cwd=work, capture_output=True, check=True, timeout=300)
    return {"work": work, "study": study, "hit": hit, "missed": [p.name for p in pending], "log": log,
            "returncode": returncode, "interrupted": interrupted, "resumed": resumed,
            "seconds": time.monotonic() - start}


@pytest.mark.slow
def test_kill_anywhere_then_rerun_is_byte_identical(killed_study, smoke_study):
    run = killed_study
    print(f"kill points hit: {run['hit']}; missed: {run['missed']}; {run['seconds']:.0f} s", file=sys.stderr)
    assert run["returncode"] == 0, run["log"].read_text()[-4000:]
    assert len(run["hit"]) >= 5, f"only {run['hit']} were hit; missed {run['missed']}"
    # the training cut short after an epoch checkpoint continued from it instead of starting over
    assert run["interrupted"] and run["resumed"] == run["interrupted"], (run["interrupted"], run["resumed"])
    found = compare_with_reference(artifact_hashes(smoke_study / "results" / STUDY), artifact_hashes(run["study"]))
    assert not any(found.values()), f"killed-and-resumed run vs the uninterrupted one: {found}"
    assert not list(run["study"].rglob("*.tmp")), "temporary files of killed writers were left behind"


def _nothing_to_do(work: Path, config: Path) -> None:
    proc = run_snakemake(work, config, "-n")
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-3000:]
    assert "Nothing to be done" in text, text[-3000:]


@pytest.mark.slow
def test_a_complete_study_has_nothing_left_to_do(smoke_study, killed_study):
    _nothing_to_do(smoke_study, smoke_study / "test_config.yaml")  # no changed params, code or inputs
    # the same values with the keys in another order (config/smoke.yaml as written; the run used sorted keys)
    assert smoke_config() == yaml.safe_load((smoke_study / "config" / "smoke.yaml").read_text())
    _nothing_to_do(smoke_study, smoke_study / "config" / "smoke.yaml")
    _nothing_to_do(killed_study["work"], killed_study["work"] / "test_config.yaml")  # nor after kills and reruns


def test_dict_params_do_not_depend_on_key_order():
    a = {"name": "mnist5k", "root": None, "nested": {"b": 1, "a": [{"y": 2, "x": 1}]}}
    b = {"nested": {"a": [{"x": 1, "y": 2}], "b": 1}, "root": None, "name": "mnist5k"}
    assert repr(a) != repr(b) and repr(canonical_params(a)) == repr(canonical_params(b))  # Snakemake compares repr
    assert canonical_params(a) == a and list(canonical_params(a)) == ["name", "nested", "root"]


@pytest.mark.slow
def test_same_config_same_bytes_other_seed_other_model(smoke_study, tmp_path):
    """A fresh run of the clean model gives the reference's bytes; another training seed another model."""
    work = workflow_copy(tmp_path)
    model = "models/lenet5/clean/base/seed{}"
    config = smoke_config(STUDY)
    config["seeds"] = [0, 1]
    targets = [f"results/{STUDY}/{model.format(s)}/model.pt" for s in (0, 1)]
    proc = run_snakemake(work, config, *targets)
    assert proc.returncode == 0, proc.stderr[-4000:]
    reference, fresh = artifact_hashes(smoke_study / "results" / STUDY), artifact_hashes(work / "results" / STUDY)
    same = [k for k in fresh if k in reference]
    assert len(same) >= 4 and all(fresh[k] == reference[k] for k in same), same  # splits, seed-0 model, history
    for name in ("model.pt", "history.csv"):
        assert fresh[f"{model.format(1)}/{name}"] != fresh[f"{model.format(0)}/{name}"]


def test_a_writer_killed_mid_write_leaves_no_output_and_the_next_write_cleans_up(tmp_path):
    """SIGKILL while an artifact is being written: the target never appears; the rerun's write removes the debris."""
    target = tmp_path / "model.pt"
    writer = (
        "import sys, time\n"
        "from perturbstudy.artifacts import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    with open(tmp, 'wb') as f:\n"
        "        f.write(b'half'); f.flush(); print('writing', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", writer, str(target)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    debris = list(tmp_path.glob(".model.pt.*.tmp"))
    assert not target.exists() and len(debris) == 1 and debris[0].read_bytes() == b"half"
    other = tmp_path / ".model.pt.x.abcdefgh.tmp"  # the temporary file of another target, model.pt.x
    other.write_bytes(b"")
    atomic_write(target, lambda tmp: tmp.write_bytes(b"whole"))
    assert target.read_bytes() == b"whole" and not debris[0].exists() and other.exists()
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"broken")
        raise RuntimeError
    assert target.read_bytes() == b"whole" and sorted(tmp_path.iterdir()) == sorted([target, other])
