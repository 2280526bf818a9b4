"""Bad inputs: one table of cases, each run through a real process that must stop cleanly.

Every case asserts (1) a non-zero exit, (2) a message that names the problem (the key, file or value)
and says the fix, and (3) no partial output. Two runners:

- `dry`: `snakemake -n` on a tiny config (schema and semantic validation run at parse time, before any
  job): the message follows "perturbstudy: " and the results folder gains nothing at all;
- `job`: `snakemake <target>` on a tiny config whose inputs were damaged on purpose: the rule's script
  stops inside `perturbstudy.smk.logged` with "ERROR in rule <rule>: <message>"; only the rule's log
  may be new under results/, and no `*.tmp` is left.

A module fixture runs the selected cases concurrently, a few processes at a time, each in its own copy of
the workflow; each test then checks its own case's process.
"""

from __future__ import annotations

import copy
import itertools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import yaml

from perturbstudy.checkpoints import FORMAT, load_model, save_model
from perturbstudy.config import validate_config
from perturbstudy.contract import step_params
from perturbstudy.data import write_idx
from perturbstudy.models import build_model
from perturbstudy.smk import Files, Job
from perturbstudy.steps.data import prepare_data

from .workflow_utils import workflow_copy

STUDY = "bad"
OUT = f"results/{STUDY}"
MODEL = f"{OUT}/models/lenet5/clean/base/seed0/model.pt"
# Root ignores permission bits; without CAP_DAC_OVERRIDE it obeys them like any user.
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override", "--"] if os.geteuid() == 0 else []


def tiny_config() -> dict[str, Any]:
    """A valid study small enough that any job it runs takes seconds."""
    return {
        "study": STUDY, "seeds": [0], "threads": 1,
        "dataset": {"name": "mnist5k", "train_per_class": 10, "test_per_class": 5, "val_per_class": 2},
        "architectures": {"lenet5": {"train": {"batch_size": 10, "max_epochs": 1, "patience": 1}}},
        "benchmarks": {"levels": [1.0, 3.0], "batch_size": 50},
        "whitebox": {"pgd_l2": {"radii": [1.0], "steps": 1}},
        "analysis": {"bootstrap_resamples": 0},
    }


# --------------------------------------------------------------------------- config mutations


def _set(key: str, value: Any) -> Callable[[dict], None]:
    """Set a dotted key of the config."""
    def mutate(config: dict) -> None:
        *parents, last = key.split(".")
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = copy.deepcopy(value)
    return mutate


def _series(name: str, **settings: Any) -> Callable[[dict], None]:
    """Add one perturbation series (per_class 2 where it takes one)."""
    defaults = {"per_class": 2} if name.startswith(("rq1", "rq2", "rq5", "rq6")) else {}
    return _set(f"series.{name}", {**defaults, **settings})


RQ6 = {"gaussian_levels": [0, 1, 2, 3, 4], "fgsm_levels": [0, 1, 2, 3, 4],
       "imbalance_levels": [0.1, 0.2, 0.3, 0.4, 0.5], "label_error_levels": [0, 0.1, 0.2, 0.3, 0.4]}


# --------------------------------------------------------------------------- damaged inputs


def _fashion(work: Path, config: dict, damage: Callable[[Path], None] | None = None) -> str:
    """Tiny Fashion-MNIST IDX files (the real format), optionally damaged; the target is the splits summary."""
    root = work / "fashion"
    root.mkdir()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    labels = np.arange(40, dtype=np.uint8) % 10
    for stem, n in (("train", 40), ("t10k", 20)):
        write_idx(root / f"{stem}-images-idx3-ubyte", images[:n])
        write_idx(root / f"{stem}-labels-idx1-ubyte", labels[:n])
    if damage is not None:
        damage(root)
    config["dataset"] = {"name": "fashion-mnist", "root": str(root), "val_per_class": 1}
    return f"{OUT}/data/splits.json"


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _bad_magic(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[2] = 0x0D  # data type float instead of unsigned byte
    path.write_bytes(bytes(data))


def _dermamnist(work: Path, config: dict, size: int = 28, drop: str = "", truncate: bool = False,
                root: str = "dermamnist.npz") -> str:
    """A tiny MedMNIST DermaMNIST npz (the real keys), optionally damaged; the target is the splits summary.

    `root` is what dataset.root points at: the file, or another (existing) folder.
    """
    path = work / "dermamnist.npz"
    if root != path.name:
        (work / root).mkdir()
    rng = np.random.default_rng(1)
    arrays = {}
    for split in ("train", "val", "test"):
        arrays[f"{split}_images"] = rng.integers(0, 256, size=(14, size, size, 3), dtype=np.uint8)
        arrays[f"{split}_labels"] = (np.arange(14) % 7).reshape(-1, 1).astype(np.uint8)
    arrays.pop(drop, None)
    np.savez(path, **arrays)
    if truncate:
        _truncate(path)
    config["dataset"] = {"name": "dermamnist", "root": str(work / root), "size": 28, "val_per_class": 1}
    return f"{OUT}/data/splits.json"


_CLOCK = itertools.count(1_700_000_000, 10)  # mtimes of placed files: each newer than every earlier one


def _place(work: Path, files: dict[str, Path | Callable[[Path], None]]) -> None:
    """Put files under `work` in the order given, each newer than the previous, so Snakemake sees them up to date."""
    for rel, source in files.items():
        dest = work / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, Path):
            shutil.copyfile(source, dest)
        else:
            source(dest)
        stamp = next(_CLOCK)
        os.utime(dest, (stamp, stamp))


def _splits(work: Path, prepared: dict[str, Path], tamper: bool = False) -> None:
    """The prepared splits (and their summary) under results/bad/data, the train labels changed if `tamper`."""
    def write(dest: Path) -> None:
        payload = torch.load(prepared["splits"], weights_only=True)
        payload["train_labels"][0] = (payload["train_labels"][0] + 1) % 10
        torch.save(payload, dest)

    _place(work, {f"{OUT}/data/splits.json": prepared["summary"],
                  f"{OUT}/data/splits.pt": write if tamper else prepared["splits"]})


class Exploit:
    """A pickle that runs a command when it is unpickled unsafely."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _source_model(work: Path, prepared: dict[str, Path], make: Callable[[Path], None]) -> str:
    """Splits plus a damaged clean source model; the target is the FGSM benchmark that loads it."""
    _splits(work, prepared)
    _place(work, {MODEL: make})
    return f"{OUT}/robustness_benchmarks/fgsm/lenet5.json"


def _truncated_model(prepared: dict[str, Path]) -> Callable[[Path], None]:
    def make(dest: Path) -> None:
        shutil.copyfile(prepared["lenet5"], dest)
        _truncate(dest, 0.6)
    return make


def _pickle_model(dest: Path) -> None:
    torch.save({"format": FORMAT, "architecture": "lenet5", "state_dict": Exploit(dest.parent / "PWNED")}, dest)


def _read_only(work: Path, rel: str) -> None:
    folder = work / rel
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, the runner, and what the message must say."""

    id: str
    runner: str  # "dry" (snakemake -n) or "job" (snakemake <target>, whose rule must fail)
    problem: tuple[str, ...]  # regexes naming the problem: the key, file or value
    fix: str  # regex of the fix the message gives
    config: Callable[[dict], None] | None = None
    # setup(work, config, prepared) -> target of a job run (None for dry runs); may edit the config
    setup: Callable[[Path, dict, dict], str | None] | None = None
    rule: str = ""  # the rule that must fail (job runner)
    unprivileged: bool = False  # run without root's permission override (read-only folders)


LEVEL_FIX = r"at most 28\b"
CASES = [
    # ---- config: validated at parse time, before any job
    Case("config-unknown-key", "dry", (r"sedes",), r"remove it or fix its spelling", _set("sedes", [0])),
    Case("config-unknown-nested-key", "dry", (r"architectures\.lenet5\.train\.learning_rate",),
         r"remove it or fix its spelling; allowed keys here: \[.*'lr'",
         _set("architectures.lenet5.train.learning_rate", 0.1)),
    Case("config-wrong-type", "dry", (r"architectures\.lenet5\.train\.lr", r"'fast' is not of type 'number'"),
         r"set it to a value of type number", _set("architectures.lenet5.train.lr", "fast")),
    Case("config-missing-required-key", "dry", (r"\bseeds\b", r"required"), r"add it",
         lambda c: c.pop("seeds")),
    Case("config-negative-level", "dry", (r"series\.rq1_gaussian\.levels\.0", r"-2\.0"), r"set it to a value >= 0",
         _series("rq1_gaussian", levels=[-2.0])),
    Case("config-zero-benchmark-level", "dry", (r"benchmarks\.levels\.0", r"\b0\b"), r"set it to a value > 0",
         _set("benchmarks.levels", [0, 1.0])),
    Case("config-fraction-out-of-range", "dry", (r"dataset\.val_fraction", r"1\.5"), r"set it to a value < 1",
         _set("dataset.val_fraction", 1.5)),
    Case("config-unreachable-benchmark-level", "dry", (r"benchmarks\.levels", r"\[30\.0\]", r"no image can reach"),
         LEVEL_FIX, _set("benchmarks.levels", [1.0, 30.0])),
    Case("config-unreachable-series-level", "dry", (r"series\.rq2_fgsm\.levels", r"28\.5", r"no image can reach"),
         LEVEL_FIX, _series("rq2_fgsm", levels=[2.0, 28.5])),
    Case("config-empty-seeds", "dry", (r"\bseeds\b", r"\[\] should be non-empty"), r"list at least 1 value",
         _set("seeds", [])),
    Case("config-empty-architectures", "dry", (r"\barchitectures\b",), r"configure at least 1 entry",
         _set("architectures", {})),
    Case("config-empty-levels", "dry", (r"series\.rq1_gaussian\.levels",), r"list at least 1 value",
         _series("rq1_gaussian", levels=[])),
    Case("config-empty-series-grid", "dry", (r"series\.rq1_gaussian\.architectures", r"no model"),
         r"list architectures .*or remove series\.rq1_gaussian",
         _series("rq1_gaussian", architectures=[], levels=[2.0])),
    Case("config-unknown-architecture", "dry", (r"\barchitectures\b", r"'vgg99'"), r"rename it to one of \[",
         _set("architectures.vgg99", {"train": {}})),
    Case("config-series-architecture-not-configured", "dry", (r"series\.rq1_gaussian\.architectures", r"alexnet8"),
         r"remove them or configure them", _series("rq1_gaussian", architectures=["alexnet8"], levels=[2.0])),
    Case("config-unknown-dataset", "dry", (r"dataset\.name", r"'cifar'"), r"set it to one of \[",
         _set("dataset.name", "cifar")),
    Case("config-label-error-ge-1", "dry", (r"series\.rq4_label_error\.levels\.0", r"1\.0"),
         r"set it to a value <= 0\.5", _series("rq4_label_error", levels=[1.0])),
    Case("config-label-error-ge-1-rq6", "dry", (r"series\.rq6_four\.label_error_levels\.4", r"1\.0"),
         r"set it to a value <= 0\.5", _series("rq6_four", **{**RQ6, "label_error_levels": [0, 0.1, 0.2, 0.3, 1.0]})),
    Case("config-imbalance-ge-1", "dry", (r"series\.rq3_imbalance\.levels\.0", r"1\.0"), r"set it to a value < 1",
         _series("rq3_imbalance", levels=[1.0])),
    Case("config-imbalance-ge-1-rq6", "dry", (r"series\.rq6_four\.imbalance_levels\.4", r"1\.2"),
         r"set it to a value < 1", _series("rq6_four", **{**RQ6, "imbalance_levels": [0, 0.1, 0.2, 0.3, 1.2]})),
    Case("config-duplicate-levels", "dry", (r"series\.rq1_gaussian\.levels", r"non-unique"),
         r"remove the repeated value\(s\) \[2\.0\]", _series("rq1_gaussian", levels=[2.0, 4.0, 2.0])),
    Case("config-duplicate-benchmark-levels", "dry", (r"benchmarks\.levels", r"non-unique"),
         r"remove the repeated value\(s\) \[1\.0\]", _set("benchmarks.levels", [1.0, 1.0, 3.0])),
    Case("config-near-duplicate-levels", "dry", (r"series\.rq1_gaussian", r"same set id\(s\) \['L2'\]"),
         r"remove the near-duplicate levels", _series("rq1_gaussian", levels=[2.0, 2.0000001])),
    Case("config-unsorted-benchmark-levels", "dry", (r"benchmarks\.levels", r"strictly increasing"),
         r"set it to \[1\.0, 3\.0\]", _set("benchmarks.levels", [3.0, 1.0])),
    Case("config-dataset-root-missing", "dry", (r"dataset\.root", r"nowhere does not exist"),
         r"point it at the folder .* or set dataset\.download: true",
         _set("dataset", {"name": "fashion-mnist", "root": "nowhere"})),
    Case("config-nan", "dry", (r"architectures\.lenet5\.train\.lr", r"nan is not a finite number"),
         r"set it to a finite number", _set("architectures.lenet5.train.lr", float("nan"))),
    Case("config-inf-in-list", "dry", (r"benchmarks\.levels\[1\]", r"inf is not a finite number"),
         r"set it to a finite number", _set("benchmarks.levels", [1.0, float("inf")])),
    Case("config-series-per-class-above-class-size", "dry", (r"series\.rq1_gaussian\.per_class", r"\b11\b",
         r"at most 10 training images"), r"set series\.rq1_gaussian\.per_class to at most 10",
         _series("rq1_gaussian", levels=[2.0], per_class=11)),
    # ---- data: the prepare_data job reads the real formats
    Case("data-idx-missing-file", "job", (r"train-labels-idx1-ubyte(\.gz)? not found",),
         r"apt-get install dataset-fashion-mnist", rule="prepare_data",
         setup=lambda w, c, p: _fashion(w, c, lambda r: (r / "train-labels-idx1-ubyte").unlink())),
    Case("data-idx-truncated", "job", (r"train-images-idx3-ubyte", r"truncated"), r"re-download it",
         rule="prepare_data", setup=lambda w, c, p: _fashion(w, c, lambda r: _truncate(r / "train-images-idx3-ubyte"))),
    Case("data-idx-corrupted", "job", (r"t10k-images-idx3-ubyte", r"bad magic number"), r"re-download or reinstall it",
         rule="prepare_data", setup=lambda w, c, p: _fashion(w, c, lambda r: _bad_magic(r / "t10k-images-idx3-ubyte"))),
    Case("data-idx-labels-out-of-range", "job", (r"train-\*", r"labels out of range \[0, 9\] \(found 0\.\.12\)"),
         r"replace it with the dataset's own", rule="prepare_data",
         setup=lambda w, c, p: _fashion(w, c, lambda r: write_idx(r / "train-labels-idx1-ubyte",
                                                                   np.arange(40, dtype=np.uint8) % 13))),
    Case("data-idx-wrong-image-shape", "job", (r"train-images-idx3-ubyte", r"\(32, 32\)", r"are 28x28"),
         r"apt-get install dataset-fashion-mnist", rule="prepare_data",
         setup=lambda w, c, p: _fashion(w, c, lambda r: write_idx(r / "train-images-idx3-ubyte",
                                                                   np.zeros((40, 32, 32), np.uint8)))),
    Case("data-idx-count-mismatch", "job", (r"train-images-idx3-ubyte holds 40 images", r"train-labels\S* holds 30"),
         r"apt-get install dataset-fashion-mnist",
         rule="prepare_data", setup=lambda w, c, p: _fashion(w, c, lambda r: write_idx(
             r / "train-labels-idx1-ubyte", np.arange(30, dtype=np.uint8) % 10))),
    Case("data-npz-missing-file", "job", (r"dermamnist\.npz not found",), r"Download dermamnist\.npz from MedMNIST",
         rule="prepare_data", setup=lambda w, c, p: _dermamnist(w, c, root="elsewhere")),
    Case("data-npz-truncated", "job", (r"dermamnist\.npz", r"cannot be read as npz"), r"download it again",
         rule="prepare_data", setup=lambda w, c, p: _dermamnist(w, c, truncate=True)),
    Case("data-npz-wrong-keys", "job", (r"dermamnist\.npz", r"missing keys \['test_labels'\]"),
         r"download the DermaMNIST file again", rule="prepare_data",
         setup=lambda w, c, p: _dermamnist(w, c, drop="test_labels")),
    Case("data-npz-wrong-image-shape", "job", (r"dermamnist\.npz", r"\(64, 64, 3\)", r"dataset\.size 28"),
         r"set dataset\.size: 64", rule="prepare_data", setup=lambda w, c, p: _dermamnist(w, c, size=64)),
    Case("data-splits-checksum-mismatch", "job", (r"splits\.pt", r"checksum mismatch", r"train split"),
         r"Delete \S*data and rerun snakemake", rule="benchmark_gaussian",
         setup=lambda w, c, p: (_splits(w, p, tamper=True), f"{OUT}/robustness_benchmarks/gaussian.json")[1]),
    # ---- checkpoints: the FGSM benchmark loads the clean source model
    Case("checkpoint-truncated", "job", (r"model\.pt", r"truncated"), r"delete it and re-run the rule",
         rule="benchmark_fgsm", setup=lambda w, c, p: _source_model(w, p, _truncated_model(p))),
    Case("checkpoint-other-architecture", "job", (r"model\.pt", r"holds a alexnet8 model, but lenet5 was expected"),
         r"delete it and re-run training", rule="benchmark_fgsm",
         setup=lambda w, c, p: _source_model(w, p, lambda d: shutil.copyfile(p["alexnet8"], d))),
    Case("checkpoint-not-weights-only", "job", (r"model\.pt", r"weights-only"), r"delete it and re-run the rule",
         rule="benchmark_fgsm", setup=lambda w, c, p: _source_model(w, p, _pickle_model)),
    # ---- training
    Case("training-nan-loss", "job", (r"loss became nan at epoch 1, batch \d+", r"diverged"), r"Lower train\.lr",
         rule="train_lenet5_clean_0", config=_set("architectures.lenet5.train.lr", 1e30),
         setup=lambda w, c, p: (_splits(w, p), MODEL)[1]),
    Case("training-zero-size-class-after-imbalance", "job", (r"CI=0\.96", r"= 0 samples", r"empty"),
         r"Lower the level below 0\.95", rule="trainset_lenet5_rq3_imbalance_0",
         config=_series("rq3_imbalance", levels=[0.96]),
         setup=lambda w, c, p: (_splits(w, p), f"{OUT}/trainsets/lenet5/rq3_imbalance/CI0.96.json")[1]),
    # ---- disk
    Case("disk-study-folder-not-writable", "dry", (rf"{OUT}", r"not writable"), rf"chmod -R u\+w {OUT}",
         setup=lambda w, c, p: _read_only(w, OUT), unprivileged=True),
    Case("disk-results-is-a-file", "dry", (rf"{OUT}", r"results exists and is not a folder"), r"move results away",
         setup=lambda w, c, p: (w / "results").write_text("not a folder")),
    Case("disk-model-folder-not-writable", "job", (r"seed0", r"cannot write the output here"),
         r"make the folder writable \(chmod -R u\+w \S*seed0\)", rule="train_lenet5_clean_0", unprivileged=True,
         setup=lambda w, c, p: (_splits(w, p), _read_only(w, str(Path(MODEL).parent)), MODEL)[2]),
]


# --------------------------------------------------------------------------- runners


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The workflow files, copied once; each case runs in its own copy."""
    return workflow_copy(tmp_path_factory.mktemp("bad_inputs_workflow"))


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> dict[str, Path]:
    """Valid artifacts of the tiny study, made by the library: splits (and summary) and two source models."""
    root = tmp_path_factory.mktemp("bad_inputs_prepared")
    config = validate_config(tiny_config())
    paths = {"splits": root / "splits.pt", "summary": root / "splits.json"}
    prepare_data(Job(step_params("prepare_data", config, {}),
                     output=Files({"splits": str(paths["splits"]), "summary": str(paths["summary"])})))
    for arch in ("lenet5", "alexnet8"):
        paths[arch] = root / f"{arch}.pt"
        save_model(paths[arch], build_model(arch, 1, 10, 28), arch, 1, 10, 28, {})
    load_model(paths["lenet5"], "lenet5")  # the intact files load: only the damage can make a case fail
    return paths


def _paths(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")} if folder.is_dir() else set()


def _snakemake(work: Path, config: dict, *args: str, unprivileged: bool = False) -> subprocess.CompletedProcess:
    (work / "bad.yaml").write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "snakemake", "--configfile", "bad.yaml", "--cores", "1", *args]
    return subprocess.run((UNPRIVILEGED if unprivileged else []) + cmd, cwd=work, capture_output=True,
                          text=True, timeout=300)


@dataclass
class Outcome:
    """A case's process and the results folder's paths before and after it."""

    proc: subprocess.CompletedProcess
    before: set[Path]
    after: set[Path]
    work: Path


def _cannot_run(case: Case) -> str:
    if case.unprivileged and os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "running as root without setpriv: a read-only folder cannot be made"
    return ""


def _run(case: Case, work: Path, template: Path, prepared: dict[str, Path]) -> Outcome:
    shutil.copytree(template, work)
    config = tiny_config()
    if case.config is not None:
        case.config(config)
    target = case.setup(work, config, prepared) if case.setup is not None else None
    before = _paths(work / "results")
    try:
        # A job's inputs were placed by the test, not made by a rule (no Snakemake metadata): only mtimes decide.
        args = ["-n"] if case.runner == "dry" else [target, "--rerun-triggers", "mtime"]
        proc = _snakemake(work, config, *args, unprivileged=case.unprivileged)
    finally:
        for folder in [work / "results", *(work / "results").rglob("*")]:
            if folder.is_dir() and not folder.is_symlink():
                folder.chmod(0o755)
    return Outcome(proc, before, _paths(work / "results"), work)


@pytest.fixture(scope="module")
def outcomes(request, template, prepared, tmp_path_factory) -> dict[str, Outcome | BaseException]:
    """Every selected case, run concurrently (one process each, a few at a time): id -> outcome or error."""
    selected = {item.callspec.params["case"].id for item in request.session.items
                if isinstance(getattr(item, "callspec", None) and item.callspec.params.get("case"), Case)}
    cases = [c for c in CASES if c.id in selected and not _cannot_run(c)]
    root = tmp_path_factory.mktemp("bad_inputs_cases")
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        futures = {c.id: pool.submit(_run, c, root / c.id, template, prepared) for c in cases}
    return {cid: f.exception() or f.result() for cid, f in futures.items()}


def _message(output: str, prefix: str) -> str:
    """The error message after `prefix` (the rest of the output for config errors, one line for a job's)."""
    assert prefix in output, f"no {prefix!r} in the output:\n{output[-4000:]}"
    rest = output[output.index(prefix) + len(prefix):]
    return rest if prefix.startswith("perturbstudy") else rest.splitlines()[0]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_stops_with_a_clear_message_and_no_partial_output(case, outcomes):
    if _cannot_run(case):
        pytest.skip(_cannot_run(case))
    outcome = outcomes[case.id]
    if isinstance(outcome, BaseException):
        raise outcome
    proc, output = outcome.proc, outcome.proc.stdout + outcome.proc.stderr
    # (1) a non-zero exit
    assert proc.returncode != 0, output[-4000:]
    # (2) the message names the problem and the fix
    message = _message(output, "perturbstudy: " if case.runner == "dry" else f"ERROR in rule {case.rule}: ")
    for pattern in case.problem:
        assert re.search(pattern, message), f"problem {pattern!r} not named in: {message}"
    assert re.search(case.fix, message), f"fix {case.fix!r} not said in: {message}"
    # (3) no partial output: a dry run creates nothing; a failed job leaves at most its log
    new = outcome.after - outcome.before
    if case.runner == "dry":
        assert not new, sorted(map(str, new))
    else:
        results = outcome.work / "results"
        leftovers = [p for p in new if (results / p).is_file() and p.parts[1:2] != ("logs",)]
        assert not leftovers, sorted(map(str, leftovers))
    assert not [p for p in outcome.after if p.name.endswith(".tmp")]
    assert not (outcome.work / Path(MODEL).parent / "PWNED").exists()  # no pickled code ran


def test_the_cases_cover_the_issue():
    """At least 30 cases, every category of the issue present, ids unique."""
    ids = [c.id for c in CASES]
    assert len(ids) >= 30 and len(set(ids)) == len(ids)
    for category in ("config", "data", "checkpoint", "training", "disk"):
        assert any(i.startswith(f"{category}-") for i in ids), category


@pytest.mark.slow
def test_intact_inputs_pass_the_same_runner(template, tmp_path):
    """The runner itself works: the same tiny IDX files, undamaged, prepare fine."""
    work = tmp_path / "wf"
    shutil.copytree(template, work)
    config = tiny_config()
    target = _fashion(work, config)
    proc = _snakemake(work, config, target)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (work / target).is_file() and not list((work / "results").rglob("*.tmp"))
