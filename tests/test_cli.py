"""The `perturbstudy` command line: output piped into `head -1` ends quietly, without a BrokenPipeError."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from perturbstudy import provenance
from perturbstudy.cli import BROKEN_PIPE

RECORDS = 3000  # one MISSING line each: ~160 kB of report, far more than a pipe buffer holds


def _cli() -> list[str]:
    """The installed console script, or the module when the venv has no script."""
    script = Path(sys.executable).parent / "perturbstudy"
    return [str(script)] if script.exists() else [sys.executable, "-m", "perturbstudy.cli"]


@pytest.fixture
def study(tmp_path, monkeypatch) -> Path:
    """A study folder whose provenance store names many outputs that are gone (one real record, cloned)."""
    monkeypatch.chdir(tmp_path)
    root = Path("results/toy")
    job = SimpleNamespace(rule="toy", config={"study": "toy"}, threads=1, log=[], wildcards={"i": "0"},
                          params={"code": provenance.code_hash()}, input=[], output=["results/toy/out/0.txt"])
    record = provenance.build_record(job, provenance.now(), provenance.now(), root)
    for i in range(RECORDS):
        record["wildcards"] = {"i": str(i)}
        record["outputs"] = {f"out/{i:05d}.txt": "0" * 64}
        path = provenance.record_path(root, "toy", record["wildcards"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record))
    return tmp_path / root


def _pipe_into_head(cmd: list[str], stderr: Path) -> tuple[int, str]:
    """Run `cmd | head -1` as two real processes; the command's exit status and what head printed."""
    with stderr.open("w") as err:
        producer = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        head = subprocess.Popen(["head", "-1"], stdin=producer.stdout, stdout=subprocess.PIPE, text=True)
        producer.stdout.close()  # only head reads it: when head exits, the producer's writes fail
        out, _ = head.communicate(timeout=120)
        status = producer.wait(timeout=120)
    return status, out


def test_audit_into_head_exits_quietly(study, tmp_path):
    full = subprocess.run([*_cli(), "audit", str(study)], capture_output=True, text=True, timeout=120)
    lines = full.stdout.splitlines()
    assert full.returncode == 1 and len(lines) == RECORDS + 1, full.stderr[-2000:]  # every output is missing
    assert len(full.stdout) > 2 * 65536  # more than a pipe holds: the writer must meet the closed end
    status, first = _pipe_into_head([*_cli(), "audit", str(study)], tmp_path / "stderr.txt")
    stderr = (tmp_path / "stderr.txt").read_text()
    assert first == lines[0] + "\n"
    assert stderr == "", stderr[-2000:]  # no traceback, no "Exception ignored" at exit
    assert status == BROKEN_PIPE


def test_help_into_head_exits_quietly(tmp_path):
    status, first = _pipe_into_head([*_cli(), "--help"], tmp_path / "stderr.txt")
    assert first.startswith("usage: perturbstudy")
    assert (tmp_path / "stderr.txt").read_text() == ""
    assert status in (0, BROKEN_PIPE)
