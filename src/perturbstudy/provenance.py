"""Provenance records: what made each artifact (rule, config subset, input hashes, code, environment).

One JSON record per job, in a central store `results/<study>/provenance/<rule>/<wildcards>.json`
(outside every folder another rule globs). Paths inside a record are relative to the study root
(`results/<study>`) when the file lives there, else relative to the working directory.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import __version__
from .artifacts import sha256_file, write_json

SCHEMA_VERSION = 1
STORE = "provenance"
PACKAGE_ROOT = Path(__file__).resolve().parent


def source_hash(root: str | os.PathLike | None = None) -> str:
    """sha256 over the relative paths and bytes of every `*.py` file of the package source tree."""
    root = Path(root) if root is not None else PACKAGE_ROOT
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def code_hash() -> str:
    """The package source hash of this process (cached): the `code` param of every rule."""
    return source_hash()


def git_version(root: str | os.PathLike | None = None) -> dict[str, Any]:
    """Git commit and dirty flag of the checkout holding the package, or nulls outside git."""
    cwd = Path(root) if root is not None else PACKAGE_ROOT
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                                capture_output=True, text=True, timeout=30, check=True).stdout
        return {"commit": commit, "dirty": bool(status.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def environment(device: str | None = None) -> dict[str, Any]:
    """Interpreter, library versions, device and host of this process."""
    torch = sys.modules.get("torch")  # a job that never imported torch (analysis) ran on the CPU
    on_cuda = torch is not None and torch.cuda.is_available()
    cuda = torch.version.cuda if on_cuda else None
    if device is None:
        device = f"cuda:{torch.cuda.get_device_name(0)}" if on_cuda else "cpu"
    return {
        "python": platform.python_version(),
        "torch": importlib.metadata.version("torch"),
        "cuda": cuda,
        "device": device,
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
    }


def canonical_json(obj: Any) -> str:
    """Byte-stable JSON text (sorted keys, no whitespace) used for hashing config subsets."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def canonical_params(value: Any) -> Any:
    """A copy of a config value with every mapping's keys sorted, recursively: a rule's param.

    Snakemake compares params by `repr`, so a dict whose keys come in another order (a config file written
    with sorted keys, a default filled in) would count as changed and rerun the rule and all below it.
    """
    if isinstance(value, Mapping):
        return {k: canonical_params(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [canonical_params(v) for v in value]
    return value


def plain(obj: Any) -> Any:
    """Convert snakemake containers and other values into JSON-ready structures."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def named(container: Any) -> dict[str, Any]:
    """Named items of a snakemake Namedlist (params, wildcards) as a plain dict."""
    items = dict(container.items()) if hasattr(container, "items") else {}
    if not items and len(container):
        items = {str(i): v for i, v in enumerate(container)}
    return {k: plain(v) for k, v in items.items()}


def rel(path: str | os.PathLike, root: Path) -> str:
    """A path relative to the study root (`../../x` for files outside it, e.g. local datasets)."""
    return Path(os.path.relpath(Path(path).absolute(), root.absolute())).as_posix()


def resolve(path: str, root: Path) -> Path:
    """Inverse of `rel`: the file a record's path names, seen from the study root."""
    return Path(os.path.normpath(root / path))


def hash_artifact(path: str | os.PathLike) -> str | None:
    """sha256 of a file, of a directory's sorted files, or None when it does not exist."""
    p = Path(path)
    if p.is_file():
        return sha256_file(p)
    if p.is_dir():
        digest = hashlib.sha256()
        for f in sorted(q for q in p.rglob("*") if q.is_file()):
            digest.update(f.relative_to(p).as_posix().encode() + b"\0" + sha256_file(f).encode())
        return digest.hexdigest()
    return None


def record_path(root: Path, rule: str, wildcards: dict[str, Any]) -> Path:
    """The record file of one job: `<root>/provenance/<rule>/<k>=<v>/....json` (or `<rule>/job.json`)."""
    parts = [re.sub(r"[^A-Za-z0-9_.=+-]", "_", f"{k}={v}") for k, v in wildcards.items()]
    if not parts:
        parts = ["job"]
    return root.joinpath(STORE, rule, *parts[:-1], parts[-1] + ".json")


def seeds(wildcards: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Every wildcard or param whose name says it is a seed, plus `seed` keys one level inside params."""
    found = {f"wildcards.{k}": v for k, v in wildcards.items() if "seed" in k}
    for k, v in params.items():
        if "seed" in k:
            found[f"params.{k}"] = v
        elif isinstance(v, dict):
            found.update({f"params.{k}.{kk}": vv for kk, vv in v.items() if "seed" in str(kk)})
    return found


def job_root(snakemake: Any) -> Path:
    """The study root of a job: the folder holding its `logs/` (every rule logs to `<study root>/logs/...`)."""
    for path in [*getattr(snakemake, "log", []), *getattr(snakemake, "output", [])]:
        parents = Path(str(path)).parents
        for parent in parents:
            if parent.name == "logs":
                return parent.parent
    outputs = [Path(str(p)) for p in getattr(snakemake, "output", [])]
    return outputs[0].parent if outputs else Path(".")


def build_record(snakemake: Any, start: _dt.datetime, end: _dt.datetime, root: Path | None = None) -> dict[str, Any]:
    """The provenance record of a finished job, from its snakemake object; `config` is its rule's `step` param."""
    root = root if root is not None else job_root(snakemake)
    wildcards = named(getattr(snakemake, "wildcards", {}))
    params = named(getattr(snakemake, "params", {}))
    config_subset = params.get("step", {k: v for k, v in params.items() if k != "code"})
    inputs = [str(f) for f in getattr(snakemake, "input", [])]
    outputs = [str(f) for f in getattr(snakemake, "output", [])]
    current = code_hash()
    return {
        "schema": SCHEMA_VERSION,
        "rule": snakemake.rule,
        "wildcards": wildcards,
        "config": config_subset,
        "config_sha256": hashlib.sha256(canonical_json(config_subset).encode()).hexdigest(),
        "study": root.name,
        "inputs": {rel(f, root): hash_artifact(f) for f in inputs},
        "outputs": {rel(f, root): hash_artifact(f) for f in outputs},
        "seed": seeds(wildcards, params),
        "code": {
            "source_sha256": current,
            "param_code": params.get("code"),
            "package_version": __version__,
            "git": git_version(),
        },
        "environment": environment(),
        "threads": int(getattr(snakemake, "threads", 1) or 1),
        "start": start.isoformat(timespec="seconds"),
        "end": end.isoformat(timespec="seconds"),
        "wall_seconds": round((end - start).total_seconds(), 3),
    }


def _member_files(files: Mapping[str, Any], i: int, n: int) -> list[str]:
    """Member i's files among a group job's named files: item i of every list with one entry per member, and
    every file the members share (a single path, or a list of another length)."""
    out = []
    for value in files.values():
        if isinstance(value, str):
            out.append(value)
        elif len(value) == n:
            out.append(str(value[i]))
        else:
            out += [str(v) for v in value]
    return out


def member_records(record: dict[str, Any], snakemake: Any, root: Path) -> list[dict[str, Any]]:
    """One record per member of a group job (a job whose step params hold `rule` and `members`): the record the
    member's own job of rule `rule` would have, with the group job named under `group`."""
    step = record["config"]
    members = step["members"]
    named_in = {k: plain(v) for k, v in getattr(snakemake, "input", {}).items()}
    named_out = {k: plain(v) for k, v in getattr(snakemake, "output", {}).items()}
    records = []
    for i, member in enumerate(members):
        own = dict(record, rule=step["rule"], wildcards=member["wildcards"], config=member["step"],
                   config_sha256=hashlib.sha256(canonical_json(member["step"]).encode()).hexdigest(),
                   seed=seeds(member["wildcards"], member["step"]),
                   group={"rule": record["rule"], "wildcards": record["wildcards"], "members": len(members)})
        own["inputs"] = {rel(f, root): record["inputs"][rel(f, root)] for f in _member_files(named_in, i, len(members))}
        own["outputs"] = {rel(f, root): record["outputs"][rel(f, root)]
                          for f in _member_files(named_out, i, len(members))}
        records.append(own)
    return records


def write_record(snakemake: Any, start: _dt.datetime, end: _dt.datetime, root: Path | None = None) -> list[Path]:
    """Build and atomically write a job's record (a group job: one per member, see `member_records`); return
    the paths written."""
    root = root if root is not None else job_root(snakemake)
    record = build_record(snakemake, start, end, root)
    records = member_records(record, snakemake, root) if "members" in record["config"] else [record]
    paths = []
    for rec in records:
        path = record_path(root, rec["rule"], rec["wildcards"])
        write_json(path, rec)
        paths.append(path)
    return paths


def now() -> _dt.datetime:
    """The current time, timezone-aware (UTC)."""
    return _dt.datetime.now(_dt.UTC)


def load_records(root: str | os.PathLike) -> list[dict[str, Any]]:
    """Every record of a study (sorted by path), each with its `_record` path added."""
    root = Path(root)
    records = []
    for path in sorted((root / STORE).rglob("*.json")):
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "outputs" in record and "rule" in record:
            record["_record"] = path.as_posix()
            records.append(record)
    return records


def summary_rows(root: str | os.PathLike) -> list[dict[str, Any]]:
    """One row per recorded artifact: path, sha256, rule, wildcards, config hash, seeds, code, environment."""
    rows = []
    for record in load_records(root):
        for path, digest in record["outputs"].items():
            rows.append({
                "artifact": path,
                "sha256": digest,
                "rule": record["rule"],
                "wildcards": ",".join(f"{k}={v}" for k, v in record["wildcards"].items()),
                "config_sha256": record["config_sha256"],
                "seed": ",".join(f"{k}={v}" for k, v in record.get("seed", {}).items()),
                "inputs": ";".join(f"{p}@{str(h)[:12]}" for p, h in record["inputs"].items()),
                "code_sha256": record["code"]["source_sha256"],
                "git_commit": record["code"]["git"]["commit"],
                "git_dirty": record["code"]["git"]["dirty"],
                "torch": record["environment"]["torch"],
                "device": record["environment"]["device"],
                "host": record["environment"]["host"],
                "end": record["end"],
                "wall_seconds": record["wall_seconds"],
                "record": os.path.relpath(record["_record"], root),
            })
    return sorted(rows, key=lambda r: r["artifact"])


def write_summary(root: str | os.PathLike, path: str | os.PathLike) -> None:
    """Write the provenance summary table (CSV) of a study atomically."""
    import pandas as pd

    from .artifacts import write_csv

    write_csv(path, pd.DataFrame(summary_rows(root)))
