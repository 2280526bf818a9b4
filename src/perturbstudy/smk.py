"""Glue for `script:` entry points: send output to the rule's log, record provenance on success."""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Iterator
from typing import Any

from . import provenance
from .errors import PerturbstudyError


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
                path = provenance.write_record(snakemake, start, provenance.now())
                print(f"provenance: {path}", file=log)
            except PerturbstudyError as exc:
                print(f"ERROR: {exc}", file=log)
                print(f"ERROR in rule {snakemake.rule}: {exc}", file=sys.__stderr__)
                raise SystemExit(1) from None
            except BaseException:
                traceback.print_exc(file=log)
                raise
