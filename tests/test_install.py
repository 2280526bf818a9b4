"""A regular (non-editable) install works on its own: the schema ships as package data, no repository needed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .workflow_utils import ROOT

PROBE = """
import sys
from importlib import resources
from pathlib import Path

import perturbstudy
from perturbstudy.config import load_config

target = Path(sys.argv[1]).resolve()
for where in (perturbstudy.__file__, str(resources.files("perturbstudy"))):
    assert Path(where).resolve().is_relative_to(target), f"perturbstudy imported from {where}, not {target}"
config = load_config("smoke.yaml")
print("validated", config["study"], "from", perturbstudy.__file__)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """`pip install --target` of a copy of the project (no editable finder, no network), in a fresh folder."""
    root = tmp_path_factory.mktemp("install")
    project = root / "project"  # a copy: the build's build/ and egg-info stay out of the shared working tree
    project.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    target = root / "target"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(project)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (target / "perturbstudy" / "schemas" / "config.schema.yaml").is_file()
    return target


def _env(target: Path) -> dict[str, str]:
    # PYTHONPATH comes before site-packages, where the editable install's path entry (or finder) sits.
    return {**os.environ, "PYTHONPATH": str(target)}


@pytest.mark.slow
def test_installed_package_validates_a_config_outside_the_repository(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy2(ROOT / "config" / "smoke.yaml", elsewhere / "smoke.yaml")
    proc = subprocess.run([sys.executable, "-c", PROBE, str(installed)], cwd=elsewhere, env=_env(installed),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "validated smoke from " + str(installed) in proc.stdout


@pytest.mark.slow
def test_installed_package_runs_the_workflow_dry(installed, tmp_path):
    """`snakemake -n` of the smoke study with the repository's Snakefile, from another folder, on the install."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy2(ROOT / "config" / "smoke.yaml", elsewhere / "smoke.yaml")
    run = ("import sys, perturbstudy; from pathlib import Path; "
           f"assert Path(perturbstudy.__file__).resolve().is_relative_to(Path({str(installed)!r}).resolve()); "
           "from snakemake.cli import main; sys.argv = ['snakemake', *sys.argv[1:]]; main()")
    proc = subprocess.run([sys.executable, "-c", run, "-s", str(ROOT / "Snakefile"), "--configfile", "smoke.yaml",
                           "-n", "--cores", "1"], cwd=elsewhere, env=_env(installed),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert "train" in proc.stdout and not (elsewhere / "results").exists()
