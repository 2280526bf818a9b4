"""Provenance records and `perturbstudy audit`: a fresh run passes; changed bytes, inputs or code fail it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from perturbstudy import provenance
from perturbstudy.audit import audit, explain
from perturbstudy.cli import main as cli_main
from perturbstudy.codeversion import import_graph, step_function_version
from perturbstudy.config import validate_config
from perturbstudy.contract import RULES, STEP_MODULE
from perturbstudy.perturbation.grid import model_grid
from perturbstudy.smk import logged

from .workflow_utils import ROOT, run_snakemake, workflow_copy

CODE = step_function_version("perturbstudy.steps.data", "prepare_data")  # a real rule's `code` param


def _fake_job(tmp_path: Path, rule: str = "toy") -> SimpleNamespace:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("input")  # a dataset outside the study folder
    (tmp_path / "results/toy/logs").mkdir(parents=True)  # the study root is the folder holding the job's logs/
    return SimpleNamespace(
        rule=rule, config={"study": "toy"}, threads=1, log=[f"results/toy/logs/{rule}.log"],
        wildcards={"arch": "lenet5", "seed": "3"}, params={"step": {"lr": 0.1}, "code": CODE},
        input=["in/a.txt"], output=["results/toy/out/b.txt"],
    )


def test_logged_writes_a_record_only_on_success(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    job = _fake_job(tmp_path)
    with pytest.raises(RuntimeError), logged(job):
        raise RuntimeError("boom")
    assert not (tmp_path / "results/toy/provenance").exists()
    with logged(job):
        Path("results/toy/out").mkdir(parents=True)
        Path("results/toy/out/b.txt").write_text("output")
    path = tmp_path / "results/toy/provenance/toy/arch=lenet5/seed=3.json"
    record = yaml.safe_load(path.read_text())
    assert record["inputs"] == {"../../in/a.txt": provenance.sha256_file("in/a.txt")}
    assert record["outputs"] == {"out/b.txt": provenance.sha256_file("results/toy/out/b.txt")}
    assert record["seed"] == {"wildcards.seed": "3"}
    assert record["config"] == {"lr": 0.1}  # the rule's `step` param, not the whole config
    assert record["config_sha256"] == provenance.hashlib.sha256(b'{"lr":0.1}').hexdigest()
    assert record["code"]["source_sha256"] == provenance.source_hash()
    assert record["code"]["param_code"] == CODE  # the step function's code version
    assert record["environment"]["device"] == "cpu" and record["environment"]["torch"]
    assert record["start"] <= record["end"]
    report = audit(tmp_path / "results/toy")
    assert report.ok and report.sources == ["../../in/a.txt"], report.summary()
    Path("in/a.txt").write_text("changed dataset")
    assert [(f.kind, f.path) for f in audit(tmp_path / "results/toy").findings] == [("stale", "out/b.txt")]


def test_source_hash_sees_every_python_file(tmp_path):
    src = tmp_path / "pkg"
    shutil.copytree(provenance.PACKAGE_ROOT, src, ignore=shutil.ignore_patterns("__pycache__"))
    assert provenance.source_hash(src) == provenance.source_hash()
    (src / "models" / "mnist_cnns.py").write_text((src / "models" / "mnist_cnns.py").read_text() + "\n# changed\n")
    assert provenance.source_hash(src) != provenance.source_hash()


# ---------------------------------------------------------------- a real smoke run (subset)


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """A fresh run of part of the smoke study: splits, clean model, imbalance set and its model, gaussian benchmark."""
    work = workflow_copy(tmp_path_factory.mktemp("prov"))
    config = yaml.safe_load((ROOT / "config" / "smoke.yaml").read_text())
    config["study"] = "smoke_prov"
    config["series"] = {"rq3_imbalance": {"architectures": ["lenet5"], "levels": [0.3]}}  # no source model needed
    valid = validate_config(dict(config))
    grid = model_grid(list(valid["architectures"]), valid["series"], valid["seeds"])
    out = f"results/{config['study']}"
    picks = [next(k for k in grid if k.series == s) for s in ("clean", "rq3_imbalance")]
    targets = [f"{out}/models/{k.arch}/{k.series}/{k.setid}/seed{k.seed}/model.pt" for k in picks]
    targets.append(f"{out}/robustness_benchmarks/gaussian.pt")
    snapshot = work / "source_snapshot"
    shutil.copytree(provenance.PACKAGE_ROOT, snapshot, ignore=shutil.ignore_patterns("__pycache__"))
    proc = run_snakemake(work, config, *targets)
    assert proc.returncode == 0, proc.stderr[-4000:]
    codes = {r["code"]["source_sha256"] for r in provenance.load_records(work / out)}
    if codes != {provenance.source_hash(snapshot)}:  # only where people edit the package while the tests run
        pytest.skip("the package source changed during the workflow run; re-run the tests")
    return work / out


@pytest.fixture(scope="module")
def source(study) -> Path:
    """The package source as it was when the study ran (audits compare code hashes against it)."""
    return study.parents[1] / "source_snapshot"


def _copy(study: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "results" / study.name
    shutil.copytree(study, dest)
    return dest


@pytest.mark.slow
def test_audit_passes_on_a_fresh_run(study, source, capsys):
    report = audit(study, source)
    assert report.ok, report.summary()
    assert report.records >= 5 and not report.untracked
    assert {"data/splits.pt"} <= set(report.sources) or any(s.startswith("data/") for s in report.sources)
    assert cli_main(["audit", str(study), "--source-root", str(source)]) == 0
    assert "audit OK" in capsys.readouterr().out
    # the console script exists and agrees
    exe = Path(sys.executable).with_name("perturbstudy")
    if exe.exists():
        cmd = [str(exe), "audit", str(study), "--source-root", str(source)]
        assert subprocess.run(cmd, capture_output=True).returncode == 0


@pytest.mark.slow
def test_audit_names_a_result_with_one_changed_byte(study, source, tmp_path, capsys):
    root = _copy(study, tmp_path)
    model = next((root / "models").glob("*/rq3_imbalance/*/seed*/model.pt"))
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01
    model.write_bytes(bytes(data))
    report = audit(root, source)
    rel = model.relative_to(root).as_posix()
    assert not report.ok
    assert [f.path for f in report.findings] == [rel] and report.findings[0].kind == "modified"
    assert cli_main(["audit", str(root), "--source-root", str(source)]) == 1
    assert f"MODIFIED   {rel}" in capsys.readouterr().out


@pytest.mark.slow
def test_audit_marks_a_model_stale_when_its_input_changes(study, source, tmp_path):
    root = _copy(study, tmp_path)
    trainset = next((root / "trainsets").rglob("*.pt"))
    trainset.write_bytes(trainset.read_bytes() + b"\0")
    report = audit(root, source)
    by_path = {f.path: f for f in report.findings}
    ts = trainset.relative_to(root).as_posix()
    assert by_path[ts].kind == "modified"
    model = next(p for p in by_path if p.startswith("models/") and "/rq3_imbalance/" in p and p.endswith("model.pt"))
    assert by_path[model].kind == "stale" and ts in by_path[model].reason
    assert not any(p.startswith("models/") and "/clean/" in p for p in by_path), "the clean model is unaffected"


@pytest.mark.slow
def test_audit_reports_missing_and_code_change(study, source, tmp_path):
    root = _copy(study, tmp_path)
    src = tmp_path / "src"
    shutil.copytree(source, src)
    assert audit(root, source_root=src).ok
    (src / "train.py").write_text((src / "train.py").read_text() + "\n# a comment is no change\n")
    assert audit(root, source_root=src).ok
    (src / "train.py").write_text((src / "train.py").read_text() + "\nLIBRARY_CHANGE = 1\n")
    stale = {f.path for f in audit(root, source_root=src).findings if f.kind == "stale"}
    assert "models/lenet5/clean/base/seed0/model.pt" in stale, "a step importing train.py is stale"
    assert "data/splits.json" not in stale, "prepare_data does not import train.py"
    (src / "errors.py").write_text((src / "errors.py").read_text() + "\nLIBRARY_CHANGE = 1\n")  # every step's
    report = audit(root, source_root=src)
    stale = {f.path for f in report.findings if f.kind == "stale"}
    recorded = {p for r in provenance.load_records(root) for p in r["outputs"]}
    assert stale == recorded, "every artifact made by the old source is stale"
    assert cli_main(["audit", str(root), "--source-root", str(src)]) == 1
    (root / "robustness_benchmarks" / "gaussian.pt").unlink()
    found = {(f.kind, f.path) for f in audit(root, source).findings}
    assert found == {("missing", "robustness_benchmarks/gaussian.pt")}


@pytest.mark.slow
def test_explain_prints_the_lineage_tree(study, source, capsys):
    model = next((study / "models").glob("*/rq3_imbalance/*/seed*/model.pt"))
    tree = explain(study, model, source)
    lines = tree.splitlines()
    assert lines[0].startswith(model.relative_to(study).as_posix()) and "rule train" in lines[0]
    assert any("trainsets/" in line and "rule trainset" in line for line in lines[1:])
    assert any(line.lstrip("│ ").startswith("└── data/splits.pt") or "── data/splits.pt" in line for line in lines)
    assert all("ok]" in line for line in lines), tree
    assert cli_main(["audit", "--explain", str(model), "--source-root", str(source)]) == 0
    assert capsys.readouterr().out.strip() == tree


def test_every_rule_takes_its_step_params_and_code_version_and_runs_its_step():
    """Config reaches a step only through params, and a change to a step's code re-runs its rule: every rule with
    a script has params step=get_step_params("<rule>") and code=get_code("<rule>"), and its script
    scripts/<rule>.py runs the step function perturbstudy.steps.<smk file>.<rule>."""
    import re

    problems, scripted = [], set()
    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        blocks = re.split(r"(?m)^(?=rule \w+:)", smk.read_text())
        for block in blocks[1:]:
            name = block.split(":", 1)[0].removeprefix("rule ")
            if not re.search(r"(?m)^    (script|shell|run):", block):
                continue
            scripted.add(name)
            for param in (f'step=get_step_params("{name}")', f'code=get_code("{name}")'):
                if param not in block:
                    problems.append(f"{smk.name}:{name} lacks params {param}")
            script = re.search(r'(?m)^    script:\s*"([^"]+)"', block)
            if script is None:
                problems.append(f"{smk.name}:{name} has no script")
                continue
            if script.group(1) != f"../../scripts/{name}.py":
                problems.append(f"{smk.name}:{name} runs {script.group(1)}, not scripts/{name}.py")
                continue
            text = (ROOT / "scripts" / f"{name}.py").read_text()
            module = STEP_MODULE.get(name)
            if f"from perturbstudy.steps.{module} import {name}\n" not in text or \
                    f"run_step(snakemake, {name})" not in text:
                problems.append(f"scripts/{name}.py does not run perturbstudy.steps.{module}.{name}")
            if smk.stem != module:
                problems.append(f"{smk.name}:{name} has its step in perturbstudy.steps.{module}")
        # group rules, one per training group, made in a loop: `rule:` / `name: f"<step>_{group.name}"`
        for block in re.split(r"(?m)^(?=    rule:)", smk.read_text())[1:]:
            name = re.search(r'name:\s*f"(\w+)_\{group\.name\}"', block).group(1)
            scripted.add(name)
            for param in (f'step=get_group_params("{name}", group)', f'code=get_code("{name}")',
                          f'script:\n            "../../scripts/{name}.py"'):
                if param not in block:
                    problems.append(f"{smk.name}:{name}_<group> lacks {param}")
            text = (ROOT / "scripts" / f"{name}.py").read_text()
            if f"from perturbstudy.steps.{STEP_MODULE[name]} import {name}\n" not in text:
                problems.append(f"scripts/{name}.py does not run perturbstudy.steps.{STEP_MODULE[name]}.{name}")
    assert not problems, problems
    assert scripted == set(RULES), "every rule has a contract entry and every contract entry a rule"


def test_code_versions_are_per_step_function():
    """The code param is per step function, not one global hash: the analysis rules share a module, not a version."""
    analysis = {r: step_function_version("perturbstudy.steps.analysis", r) for r in RULES
                if STEP_MODULE[r] == "analysis"}
    assert len(set(analysis.values())) == len(analysis), analysis
    with pytest.raises(ValueError, match="no function"):
        step_function_version("perturbstudy.steps.analysis", "no_such_rule")


def test_analysis_and_provenance_jobs_do_not_import_torch():
    """Analysis and record-keeping jobs must not pay torch's start-up (~3 s per job on 2 cores): every module
    their steps can import (function-level imports included) loads without torch."""
    graph = import_graph()
    seen, todo = set(), ["perturbstudy.smk", "perturbstudy.steps.analysis", "perturbstudy.steps.report"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += graph.get(module, ())
    assert {"perturbstudy.perturbation.analysis.tables", "perturbstudy.provenance"} <= seen
    code = (f"import importlib, sys; [importlib.import_module(m) for m in {sorted(seen)!r}]; "
            "from perturbstudy.provenance import environment; env = environment(); "
            "assert 'torch' not in sys.modules, 'torch was imported'; assert env['torch'], env")
    subprocess.run([sys.executable, "-c", code], check=True)
