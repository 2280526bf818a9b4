"""Steps of workflow/rules/report.smk."""

from __future__ import annotations

from pathlib import Path

from ..smk import Job


def provenance_summary(job: Job) -> None:
    """One table of the provenance of every recorded artifact of the study (for the report)."""
    from ..provenance import write_summary

    table = Path(job.output.table)
    write_summary(table.parent.parent, table)  # <study>/report/provenance.csv -> the study root
