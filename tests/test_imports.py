"""The import graph of the real perturbstudy package: no cycles, and every package import names a module."""

from __future__ import annotations

from perturbstudy.codeversion import import_cycles, import_graph


def test_the_package_has_no_import_cycles():
    """A cycle ties two modules' code versions and import order together; `import_graph` also fails on dangling
    package imports (an import naming no module of the package), with the file and line."""
    cycles = import_cycles(import_graph(parents=False))
    assert not cycles, ("import cycles (move what both sides need into a lower module, or pass it in): "
                        + "; ".join(" <-> ".join(c) for c in cycles))


def test_every_bench_script_imports(repo_root):
    """The benchmarks under bench/ are not run by the suite; importing each catches a renamed or moved module."""
    import importlib.util

    scripts = sorted((repo_root / "bench").glob("*.py"))
    assert scripts
    for path in scripts:
        spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
        spec.loader.exec_module(importlib.util.module_from_spec(spec))  # main() runs only under __main__
