"""A regular (non-editable) install works on its own: the schema ships as package data, no repository needed; and
the rules' conda environment installs every module the rules import."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

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


# --------------------------------------------------------------------------- the rules' conda environment

ENV_FILE = ROOT / "workflow" / "envs" / "study.yaml"
PACKAGE = ROOT / "src" / "perturbstudy"


def _name(requirement: str) -> str:
    """A distribution's normalised name (PEP 503) from a requirement or conda spec."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\s\[<>=!~;@]", requirement.strip(), maxsplit=1)[0]).lower()


def _requires(dist: str) -> set[str]:
    """What an installed distribution requires unconditionally (no extras); empty when it is not installed here."""
    try:
        found = metadata.distribution(dist).requires or []
    except metadata.PackageNotFoundError:
        return set()
    return {_name(r) for r in found if Requirement(r).marker is None or Requirement(r).marker.evaluate({"extra": ""})}


def env_distributions(env_text: str) -> set[str]:
    """Every distribution a conda env file installs: conda and pip lines, the project with the extras its pip line
    names (from pyproject.toml), and, through the installed metadata, everything these require."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    direct: set[str] = set()
    for dep in yaml.safe_load(env_text)["dependencies"]:
        lines = dep["pip"] if isinstance(dep, dict) else []
        if isinstance(dep, str):
            direct.add(_name(dep.split("=")[0]))
        for line in lines:
            spec = line.removeprefix("-e").strip()
            own = re.fullmatch(r"\.{1,2}(?:/\.\.)*/?(?:\[([\w,\s-]*)\])?", spec)  # the project itself, e.g. ../..[x]
            if own is None:
                direct.add(_name(spec))
                continue
            direct |= {_name(r) for r in project["dependencies"]}
            for extra in filter(None, (e.strip() for e in (own.group(1) or "").split(","))):
                direct |= {_name(r) for r in project["optional-dependencies"][extra]}
    provided, todo = set(), list(direct)
    while todo:
        dist = todo.pop()
        if dist not in provided:
            provided.add(dist)
            todo += _requires(dist)
    return provided


def _module_files(module: str) -> list[Path]:
    """The files Python runs to import a perturbstudy module: its parents' __init__.py and the module itself."""
    parts = module.split(".")[1:]
    files = [PACKAGE.joinpath(*parts[:i], "__init__.py") for i in range(len(parts) + 1)]
    files.append(PACKAGE.joinpath(*parts).with_suffix(".py"))
    return [f for f in files if f.is_file()]


def _module_name(path: Path) -> str | None:
    if not path.is_relative_to(PACKAGE):
        return None
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def rule_imports() -> dict[str, set[str]]:
    """Third-party top-level modules imported (anywhere, function bodies too) by the scripts the rules run and every
    perturbstudy module they import, each with the files importing it."""
    scripts = {ROOT / rel for smk in (ROOT / "workflow" / "rules").glob("*.smk")
               for rel in re.findall(r'"\.\./\.\./(scripts/\w+\.py)"', smk.read_text())}
    found: dict[str, set[str]] = {}
    todo, seen = sorted(scripts), set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        here = _module_name(path)
        package = here if here and path.name == "__init__.py" else (here.rpartition(".")[0] if here else None)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative to the importing module's package
                    parts = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                names = [base, *(f"{base}.{a.name}" for a in node.names)]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top == "perturbstudy":
                    todo += _module_files(name)
                elif top not in sys.stdlib_module_names and top != "__future__":
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def missing_from_env(env_text: str) -> dict[str, set[str]]:
    """Imported top-level modules that no distribution of the env provides, with the files importing them. A module
    not installed here (medmnistc, wand without the corruptions extra) is taken to come from the distribution of its
    own name."""
    provided = env_distributions(env_text)
    providers = metadata.packages_distributions()
    return {module: files for module, files in rule_imports().items()
            if not {_name(d) for d in providers.get(module) or [module]} & provided}


def test_the_rules_env_provides_every_module_the_rules_import():
    """Under `--sdm conda` a rule runs in workflow/envs/study.yaml: every third-party module its script and the
    package code it reaches import (medmnist, pytorch_grad_cam for the medical rules) must be installed there."""
    imports = rule_imports()
    assert {"medmnist", "pytorch_grad_cam", "torch", "pandas"} <= set(imports)  # the scan reaches the medical code
    assert "src/perturbstudy/robust_training/gradcam.py" in imports["pytorch_grad_cam"]
    missing = missing_from_env(ENV_FILE.read_text())
    assert not missing, f"{ENV_FILE} lacks the distributions of {missing}; add them (or the project's extra)"


def test_the_env_check_fails_without_the_medical_extra():
    """The check above can fail: the env file with the project installed without `[medical]` misses both."""
    text = ENV_FILE.read_text()
    assert "../..[medical,corruptions]" in text
    missing = missing_from_env(text.replace("../..[medical,corruptions]", "../.."))
    assert {"medmnist", "pytorch_grad_cam", "medmnistc", "wand"} <= set(missing)
