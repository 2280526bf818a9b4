"""Writing and reading artifacts safely: temporary name then rename, sha256, weights-only loads."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CheckpointError

if TYPE_CHECKING:  # torch is imported where tensors are handled: analysis jobs never pay its start-up
    import torch


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_tensors(*tensors: torch.Tensor) -> str:
    """Hex sha256 of the raw bytes, dtypes and shapes of tensors (order matters)."""
    digest = hashlib.sha256()
    for tensor in tensors:
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{t.dtype}:{tuple(t.shape)}".encode())
        digest.update(t.numpy().reshape(-1).view("u1"))  # the tensor's bytes as they lie, without a tobytes copy
    return digest.hexdigest()


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds.

    An interrupted job therefore never leaves a file that looks done. A job killed outright (SIGKILL)
    leaves its temporary file behind: the next write of the same target removes it.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}."
    for stale in target.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        if "." not in stale.name[len(prefix):-len(".tmp")]:  # mkstemp's random part has no dot
            stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_write(path: str | os.PathLike, writer: Callable[[Path], Any]) -> None:
    """Call `writer(tmp_path)` and rename the result onto `path`."""
    with atomic_path(path) as tmp:
        writer(tmp)


def save_tensors(path: str | os.PathLike, payload: dict[str, Any]) -> None:
    """torch.save a dict of tensors and plain values atomically (loadable with weights_only).

    Saved through a file handle: torch.save to a path names the zip archive after the (random, temporary)
    file name, so the same payload would give different bytes on every run.
    """
    import torch

    def _write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            torch.save(payload, handle)

    atomic_write(path, _write)


def load_tensors(path: str | os.PathLike) -> dict[str, Any]:
    """Load a file written by `save_tensors` with `weights_only=True` (no arbitrary pickles)."""
    import torch

    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: file not found; re-run the rule that produces it.")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for truncated or unsafe files
        raise CheckpointError(
            f"{path}: cannot be loaded as a weights-only tensor file ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}). It is truncated, corrupted or "
            "not a perturbstudy artifact; delete it and re-run the rule that produces it."
        ) from exc


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Write JSON atomically with sorted keys (byte-stable)."""
    def _write(tmp: Path) -> None:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")

    atomic_write(path, _write)


def read_csvs(paths: Iterable[str | os.PathLike], columns: Sequence[str], what: str, rule: str,
              dtype: dict[str, Any] | None = None) -> Any:
    """Concatenate CSV tables, keeping `columns` in that order; DataError naming the file and the rule that writes
    it when one lacks a column. Empty `paths`: an empty frame with the columns."""
    import pandas as pd

    from .errors import DataError

    frames = []
    for path in paths:
        frame = pd.read_csv(path, dtype=dtype)
        missing = [c for c in columns if c not in frame]
        if missing:
            raise DataError(f"{path}: {what} file lacks columns {missing}; rerun {rule}")
        frames.append(frame[list(columns)])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(columns))


def write_csv(path: str | os.PathLike, frame: Any) -> None:
    """Write a pandas DataFrame as CSV atomically, without the index."""
    atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.10g"))
