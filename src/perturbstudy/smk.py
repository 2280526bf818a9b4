"""Glue between Snakemake `script:` entry points and the steps: one `Job` per call, its log, its provenance.

A script is two lines: import the rule's step and `run_step(snakemake, step)`. The step sees only
the job's params (the config subset its rule declares), input, output and threads, never the config.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import provenance
from .errors import PerturbstudyError


class Files(dict):
    """Named files of a job (input or output): `files.model`, `files["model"]`; unnamed ones by position."""

    def __init__(self, named: Mapping[str, Any] | None = None, positional: list[str] | None = None) -> None:
        super().__init__(named or {})
        self.positional = list(positional or [])

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: Any) -> Any:
        return self.positional[key] if isinstance(key, int) else super().__getitem__(key)

    def optional(self, name: str) -> str | None:
        """A named input that a rule gives only sometimes (an empty list otherwise): its path, or None."""
        value = self.get(name)
        if isinstance(value, (list, tuple)):
            return str(value[0]) if value else None
        return None if value is None else str(value)


@dataclass
class Job:
    """What a step receives: its rule's params, named input and output files, threads and memory."""

    params: dict[str, Any]
    input: Files = field(default_factory=Files)
    output: Files = field(default_factory=Files)
    threads: int = 1
    mem_mb: int | None = None


def _files(namedlist: Any) -> Files:
    """A snakemake Namedlist as Files: a name holds a path, or a list of paths (an input function's list)."""
    named = {k: str(v) if isinstance(v, str) else [str(x) for x in v] for k, v in namedlist.items()}
    return Files(named, [str(f) for f in namedlist])


def job_of(snakemake: Any) -> Job:
    """The Job of a running `script:`: the rule's `step` param plus its other params (paths), never `code`."""
    params = dict(snakemake.params.items())
    resources = getattr(snakemake, "resources", None)
    mem_mb = getattr(resources, "mem_mb", None) if resources is not None else None
    extra = {k: v for k, v in params.items() if k not in ("step", "code")}  # e.g. a resume path
    return Job(params={**dict(params.get("step") or {}), **extra}, input=_files(snakemake.input),
               output=_files(snakemake.output), threads=int(snakemake.threads or 1),
               mem_mb=int(mem_mb) if mem_mb else None)


def run_step(snakemake: Any, step: Callable[[Job], None]) -> None:
    """Run a rule's step on its Job, with output sent to the rule's log and the provenance record written."""
    with logged(snakemake):
        step(job_of(snakemake))


@contextlib.contextmanager
def logged(snakemake: Any) -> Iterator[None]:
    """Redirect stdout and stderr to the rule's first log file; print a clean error on failure.

    When the block succeeds, the job's provenance record is written (see `perturbstudy.provenance`).
    """
    start = provenance.now()
    log_path = snakemake.log[0] if len(snakemake.log) else None
    if log_path is None:
        yield
        provenance.write_record(snakemake, start, provenance.now())
        return
    with open(log_path, "w", buffering=1) as log:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            try:
                yield
                paths = provenance.write_record(snakemake, start, provenance.now())
                print(f"provenance: {', '.join(map(str, paths))}", file=log)
            except PerturbstudyError as exc:
                print(f"ERROR: {exc}", file=log)
                print(f"ERROR in rule {snakemake.rule}: {exc}", file=sys.__stderr__)
                raise SystemExit(1) from None
            except BaseException:
                traceback.print_exc(file=log)
                raise
