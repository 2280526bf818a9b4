"""`perturbstudy audit --configfile`: CONFIG for artifacts whose recorded step params differ from the config's."""

from __future__ import annotations

import subprocess
import sys

import pytest

from perturbstudy.audit import audit
from perturbstudy.config import validate_config

from .contract_utils import with_value
from .workflow_utils import smoke_config

pytestmark = pytest.mark.slow


def test_config_class_names_exactly_the_artifacts_of_the_changed_rule(smoke_study):
    root = smoke_study / "results" / "smoke"
    assert audit(root, config=validate_config(smoke_config())).ok
    changed = validate_config(with_value(smoke_config(), "architectures.lenet5.train.lr", 0.003))
    report = audit(root, config=changed)
    flagged = {f.path for f in report.findings if f.kind == "config"}
    assert not report.ok
    assert flagged == {p for p in flagged if p.startswith("models/")} and len(flagged) == 6  # 3 models x 2 files
    assert all("train" in f.reason and "0.003" in f.reason for f in report.findings if f.kind == "config")


def test_cli_reports_config_and_fails(smoke_study, tmp_path):
    path = tmp_path / "changed.yaml"
    import yaml

    path.write_text(yaml.safe_dump(with_value(smoke_config(), "analysis.alpha", 0.01)))
    proc = subprocess.run([sys.executable, "-m", "perturbstudy.cli", "audit", "results/smoke", "--configfile",
                           str(path)], cwd=smoke_study, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout[-2000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("CONFIG")]
    # analysis.alpha is read by the analysis and by the medical and segmentation tables (config/README.md)
    assert any("analysis/" in line for line in lines), proc.stdout[-2000:]
    assert all(any(part in line for part in ("analysis/", "/tables/", "/findings/")) for line in lines), \
        proc.stdout[-2000:]
