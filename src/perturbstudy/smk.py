"""Glue for `script:` entry points: send output to the rule's log and set up the process."""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Iterator
from typing import Any

from .errors import PerturbstudyError


@contextlib.contextmanager
def logged(snakemake: Any) -> Iterator[None]:
    """Redirect stdout and stderr to the rule's first log file; print a clean error on failure."""
    log_path = snakemake.log[0] if len(snakemake.log) else None
    if log_path is None:
        yield
        return
    with open(log_path, "w", buffering=1) as log:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            try:
                yield
            except PerturbstudyError as exc:
                print(f"ERROR: {exc}", file=log)
                print(f"ERROR in rule {snakemake.rule}: {exc}", file=sys.__stderr__)
                raise SystemExit(1) from None
            except BaseException:
                traceback.print_exc(file=log)
                raise
