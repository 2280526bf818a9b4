"""Steps of workflow/rules/data.smk."""

from __future__ import annotations

from ..smk import Job


def prepare_data(job: Job) -> None:
    """The deterministic stratified splits of `dataset` and their JSON summary."""
    from ..data import build_splits, save_splits

    p = job.params
    save_splits(build_splits(p["dataset"], p["data_seed"]), job.output.splits, job.output.summary,
                p["dataset"]["name"])
