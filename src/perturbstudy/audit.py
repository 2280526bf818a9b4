"""Audit a study folder against its provenance records: missing, modified and stale artifacts, and lineage."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .provenance import STORE, canonical_json, hash_artifact, load_records, rel, resolve

# Folders of a study that hold bookkeeping, not artifacts (never expected to have a record).
BOOKKEEPING = (STORE, "logs", "benchmarks", "resume")
FAILING = ("missing", "modified", "stale", "unrecorded", "config")


@dataclass(frozen=True)
class Finding:
    """One problem with one artifact (path relative to the study root)."""

    kind: str  # missing | modified | stale | unrecorded | config
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.kind.upper():10s} {self.path}: {self.reason}"


@dataclass
class AuditReport:
    """What `audit` found: findings, plus counts of what it checked."""

    root: Path
    findings: list[Finding] = field(default_factory=list)
    records: int = 0
    artifacts: int = 0
    leaves: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    untracked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no artifact is missing, modified, stale, unrecorded or made with another config subset."""
        return not any(f.kind in FAILING for f in self.findings)

    def summary(self) -> str:
        """A human-readable report, one line per finding."""
        lines = [str(f) for f in self.findings]
        lines += [f"WARNING    {p}: file in the study folder that no provenance record names" for p in self.untracked]
        verdict = "OK" if self.ok else "FAILED"
        lines.append(f"audit {verdict}: {self.root}: {self.records} records, {self.artifacts} artifacts, "
                     f"{len(self.leaves)} leaves traced to {len(self.sources)} sources, "
                     f"{sum(f.kind in FAILING for f in self.findings)} problems")
        return "\n".join(lines)


class Lineage:
    """The provenance graph of a study: which record produced each artifact, and current hashes."""

    def __init__(self, root: str | os.PathLike, source_root: str | os.PathLike | None = None,
                 config: Mapping[str, Any] | None = None):
        self.root = Path(root)
        self.records = load_records(self.root)
        self.source_root = Path(source_root) if source_root is not None else None
        self.config = config
        from .codeversion import clear_caches

        clear_caches()  # read the package as it is now, not as an earlier audit in this process saw it
        self.producer: dict[str, dict[str, Any]] = {}
        for record in sorted(self.records, key=lambda r: r.get("end", "")):
            for path in record["outputs"]:
                self.producer[path] = record  # the latest job wins if several claim one file
        self.consumed = {p for r in self.records for p in r["inputs"]}
        self._hashes: dict[str, str | None] = {}

    def current(self, path: str) -> str | None:
        """sha256 of an artifact now (cached), None when missing."""
        if path not in self._hashes:
            self._hashes[path] = hash_artifact(resolve(path, self.root))
        return self._hashes[path]

    def external(self, path: str) -> bool:
        """True for inputs outside the study folder (datasets on disk)."""
        return path.startswith("../")

    def own_problems(self, path: str) -> list[Finding]:
        """Problems of an artifact judged from its own record only."""
        record = self.producer.get(path)
        if record is None:
            if self.external(path):
                return [] if self.current(path) else [Finding("missing", path, "source input is gone")]
            return [Finding("unrecorded", path, "no provenance record produced it (rule without logged()?)")]
        now = self.current(path)
        if now is None:
            return [Finding("missing", path, f"output of rule {record['rule']} is gone")]
        if now != record["outputs"][path]:
            return [Finding("modified", path, f"sha256 {now[:12]} differs from the recorded "
                                              f"{str(record['outputs'][path])[:12]} (rule {record['rule']})")]
        found = []
        for inp, recorded in record["inputs"].items():
            actual = self.current(inp)
            if actual is None:
                found.append(Finding("stale", path, f"input {inp} is missing"))
            elif actual != recorded:
                found.append(Finding("stale", path, f"input {inp} changed since it was made "
                                                    f"(recorded {str(recorded)[:12]}, now {actual[:12]})"))
        code, current = record.get("code", {}).get("param_code"), self.step_code(record["rule"])
        if current is not None and code != current:
            found.append(Finding("stale", path, f"made by step code {str(code)[:12]}, the current code of rule "
                                                f"{record['rule']} is {current[:12]}"))
        found += self.config_problems(path, record)
        return found

    def step_code(self, rule: str) -> str | None:
        """The current code version of a rule's step (None for a rule the package does not know)."""
        from .codeversion import step_function_version
        from .contract import STEP_MODULE

        if rule not in STEP_MODULE:
            return None
        root = self.source_root / "perturbstudy" if self.source_root and (self.source_root / "perturbstudy").is_dir() \
            else self.source_root
        return step_function_version(f"perturbstudy.steps.{STEP_MODULE[rule]}", rule, root)

    def config_problems(self, path: str, record: Mapping[str, Any]) -> list[Finding]:
        """CONFIG: the recorded step params differ from what `self.config` gives the same job."""
        from .contract import RULES, step_params

        if self.config is None or record["rule"] not in RULES:
            return []
        try:
            expected = step_params(record["rule"], self.config, record["wildcards"])
        except (KeyError, TypeError):
            return [Finding("config", path, f"this config has no job {record['rule']}({record['wildcards']})")]
        recorded = record.get("config", {})
        if canonical_json(expected) == canonical_json(recorded):
            return []
        keys = sorted(k for k in set(expected) | set(recorded)
                      if canonical_json(expected.get(k)) != canonical_json(recorded.get(k)))
        detail = "; ".join(f"{k}: recorded {canonical_json(recorded.get(k))[:60]}, config "
                           f"{canonical_json(expected.get(k))[:60]}" for k in keys[:3])
        return [Finding("config", path, f"made with another config subset of rule {record['rule']} ({detail})")]

    def inputs(self, path: str) -> list[str]:
        """The recorded inputs of an artifact (none for sources)."""
        record = self.producer.get(path)
        return list(record["inputs"]) if record else []

    def leaves(self) -> list[str]:
        """Artifacts no recorded job consumed: tables, figures and every other end product."""
        return sorted(p for p in self.producer if p not in self.consumed)


def audit(root: str | os.PathLike, source_root: str | os.PathLike | None = None,
          config: Mapping[str, Any] | None = None) -> AuditReport:
    """Re-hash every recorded artifact and walk every chain from each leaf back to its sources; with a validated
    `config`, also flag artifacts whose recorded step params differ from what that config gives (CONFIG)."""
    graph = Lineage(root, source_root, config)
    report = AuditReport(root=graph.root, records=len(graph.records))
    if not graph.records:
        report.findings.append(Finding("missing", STORE, f"no provenance records under {graph.root / STORE}"))
        return report
    status: dict[str, list[Finding]] = {}
    sources: set[str] = set()

    def visit(path: str, stack: tuple[str, ...]) -> bool:
        """Problems found at or upstream of `path` (memoised); records findings on the way."""
        if path in status:
            return bool(status[path])
        if path in stack:
            status[path] = [Finding("stale", path, "cycle in the recorded lineage")]
            return True
        problems = graph.own_problems(path)
        bad_upstream = [inp for inp in graph.inputs(path) if visit(inp, (*stack, path))]
        if not graph.inputs(path):
            sources.add(path)
        if bad_upstream and not any(p.kind != "config" for p in problems) and path in graph.producer:
            problems.append(Finding("stale", path, f"upstream {bad_upstream[0]} is missing, modified or stale"))
        status[path] = problems
        return bool(problems)

    for path in sorted(graph.producer):  # every recorded artifact, leaves included
        visit(path, ())
    for path in sorted(status):
        report.findings.extend(status[path])
    report.artifacts = len(status)
    report.leaves = graph.leaves()
    report.sources = sorted(sources)
    known = set(status)
    for f in sorted(graph.root.rglob("*")):
        r = rel(f, graph.root)
        bookkeeping = any(part in BOOKKEEPING for part in r.split("/")[:-1])
        if f.is_file() and not bookkeeping and r not in known and not f.name.endswith(".tmp"):
            report.untracked.append(r)
    return report


def explain(root: str | os.PathLike, artifact: str | os.PathLike, source_root: str | os.PathLike | None = None) -> str:
    """The lineage of one artifact as a tree, each node with its rule, wildcards, hash and status."""
    graph = Lineage(root, source_root)
    start = rel(artifact, graph.root) if Path(artifact).exists() else str(artifact)
    if start not in graph.producer:
        candidates = [p for p in graph.producer if p.endswith(str(artifact))]
        if len(candidates) != 1:
            raise KeyError(f"{artifact}: no provenance record in {graph.root / STORE} names this artifact")
        start = candidates[0]
    lines: list[str] = []
    shown: set[str] = set()

    def label(path: str) -> str:
        record = graph.producer.get(path)
        problems = graph.own_problems(path)
        state = "; ".join(f"{p.kind}: {p.reason}" for p in problems) or "ok"
        digest = (graph.current(path) or "-")[:12]
        if record is None:
            return f"{path}  [source, sha256 {digest}, {state}]"
        wc = ",".join(f"{k}={v}" for k, v in record["wildcards"].items())
        seed = ",".join(f"{k.split('.')[-1]}={v}" for k, v in record.get("seed", {}).items())
        return (f"{path}  [rule {record['rule']}{'(' + wc + ')' if wc else ''}, sha256 {digest}, "
                f"config {record['config_sha256'][:12]}, code {str(record['code']['source_sha256'])[:12]}"
                f"{', ' + seed if seed else ''}, {record['end']}, {state}]")

    def walk(path: str, prefix: str, last: bool, top: bool) -> None:
        connector = "" if top else ("└── " if last else "├── ")
        repeat = path in shown and graph.inputs(path)
        lines.append(prefix + connector + label(path) + ("  (lineage shown above)" if repeat else ""))
        if repeat:
            return
        shown.add(path)
        children = graph.inputs(path)
        child_prefix = prefix if top else prefix + ("    " if last else "│   ")
        for i, child in enumerate(children):
            walk(child, child_prefix, i == len(children) - 1, False)

    walk(start, "", True, True)
    return "\n".join(lines)
