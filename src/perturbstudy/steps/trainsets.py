"""Steps of workflow/rules/trainsets.smk: directions once per (architecture, series), then its sets a group at a
time."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..smk import Job

if TYPE_CHECKING:
    from ..data import Splits


def _check_memory(job: Job, p: dict, splits: Splits) -> None:
    """Stop with the key to lower when the series' added images (of series params `p`) would not fit the job's
    memory."""
    from ..checks import check_allocation
    from ..perturbation.series import SPECS
    from ..perturbation.trainsets import added_bytes

    need = added_bytes(SPECS[p["series"]], int(p.get("per_class") or 0), len(splits.class_names),
                       splits.train.images[0].numel())
    check_allocation(need, job.mem_mb, f"{p['arch']}/{p['series']}: the added images",
                     f"series.{p['series']}.per_class")


def trainset_directions(job: Job) -> None:
    """Base images and one direction each for every image factor of a series (no level-dependent work)."""
    from ..artifacts import save_tensors
    from ..checkpoints import load_model
    from ..data import load_splits
    from ..perturbation.series import SPECS
    from ..perturbation.trainsets import SeriesSettings, build_directions
    from ..runtime import configure

    p = job.params
    device = configure(job.threads)
    splits = load_splits(job.input.splits)
    _check_memory(job, p, splits)
    source = job.input.optional("model")
    model = load_model(source, p["arch"]).to(device) if source else None
    start = time.perf_counter()
    payload = build_directions(SPECS[p["series"]], p["arch"], splits, SeriesSettings.from_params(p),
                               float(p.get("gaussian_reach", 0.0)), model)
    save_tensors(job.output[0], payload)
    for name, comp in payload["components"].items():
        print(f"{p['arch']}/{p['series']} {name}: {comp['index'].numel()} images, noise resampled "
              f"{comp['resampled']}", flush=True)
    print(f"done in {time.perf_counter() - start:.1f} s", flush=True)


def trainset(job: Job) -> None:
    """The training sets of one group, each at its factor levels (scales calibrated exactly), with JSON summaries;
    one process for the group (a set takes well under a second, a Python start-up several)."""
    from ..artifacts import load_tensors, save_tensors, write_json
    from ..data import load_splits
    from ..perturbation.series import SPECS
    from ..perturbation.trainsets import SeriesSettings, build_set, summarize_set

    members = [m["step"] for m in job.params["members"]]
    splits = load_splits(job.input.splits)
    _check_memory(job, members[0], splits)
    directions_path = job.input.optional("directions")
    directions = load_tensors(directions_path) if directions_path else None
    for i, p in enumerate(members):
        payload = build_set(SPECS[p["series"]], p["arch"], p["setid"], p["levels"], splits,
                            SeriesSettings.from_params(p), directions)
        save_tensors(job.output.trainsets[i], payload)
        summary = summarize_set(payload, job.output.trainsets[i])
        write_json(job.output.summaries[i], summary)
        print(f"{p['arch']}/{p['series']}/{p['setid']}: {summary['size']} samples, {summary['file_bytes']} bytes, "
              f"params {payload['params']}", flush=True)
