"""Checks made before expensive work: output folders are writable, data files match their recorded sha256,
planned allocations fit the job's memory."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .errors import DataError, OutputError, ResourceError


def check_study_writable(out_dir: str | os.PathLike) -> None:
    """Refuse a study folder that cannot be created or written (for the Snakefile, before any job).

    The folder itself, or its deepest existing ancestor, must be a writable folder.
    """
    out = Path(out_dir)
    probe = out
    while not probe.exists() and not probe.is_symlink() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(
            f"{out}: cannot create the output folder, {probe} exists and is not a folder; move {probe} "
            "away (or set study to another name) and rerun."
        )
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(
            f"{out}: the output folder {probe} is not writable; make it writable (chmod -R u+w {probe}), "
            "or run from a writable copy of the workflow, then rerun."
        )


def ensure_writable(*paths: str | os.PathLike) -> None:
    """Create the folders of `paths` and write a probe file in each, before the work that fills them starts."""
    for folder in dict.fromkeys(Path(p).parent for p in paths):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".write-probe.", suffix=".tmp", dir=folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise OutputError(
                f"{folder}: cannot write the output here ({exc.strerror or exc}); make the folder writable "
                f"(chmod -R u+w {folder}) or free disk space, then rerun."
            ) from exc


def verify_recorded_sha256(path: str | os.PathLike, hashes: Mapping[str, str]) -> None:
    """Compare content hashes of `path` with those recorded in its sibling `<stem>.json` (if there is one).

    `prepare_data` records the sha256 of every split in `splits.json` beside `splits.pt`; a splits file
    modified or replaced afterwards no longer matches and is refused before it feeds any model.
    """
    path = Path(path)
    summary = path.with_suffix(".json")
    if not summary.exists():
        return
    try:
        recorded = json.loads(summary.read_text()).get("sha256") or {}
    except (OSError, ValueError, AttributeError) as exc:
        raise DataError(f"{summary}: cannot be read ({exc}); delete {path.parent} and rerun snakemake.") from exc
    for name, digest in hashes.items():
        if name in recorded and recorded[name] != digest:
            raise DataError(
                f"{path}: checksum mismatch, the {name} split has sha256 {digest[:12]}... but {summary.name} "
                f"recorded {recorded[name][:12]}... when it was made; the file was modified or replaced. "
                f"Delete {path.parent} and rerun snakemake to rebuild it."
            )


def check_allocation(nbytes: int, mem_mb: int | None, what: str, key: str) -> None:
    """Refuse a planned allocation of `nbytes` that exceeds the job's `resources.mem_mb` (None or 0: unknown, skip).

    Called before the tensor is made, so the job stops with the config `key` to lower instead of being killed.
    """
    if not mem_mb or nbytes <= mem_mb * 1_000_000:  # Snakemake's mem_mb is megabytes (10^6 bytes)
        return
    raise ResourceError(
        f"{key}: {what} needs {nbytes:,} bytes ({nbytes / 1e6:,.0f} MB), more than the job's resources.mem_mb = "
        f"{mem_mb:,} MB; lower {key}, or give the rule more memory (--set-resources <rule>:mem_mb=N), then rerun."
    )
