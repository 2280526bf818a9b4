"""Per-step code versions on a tiny fake package: what changes a step's version and what does not."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from perturbstudy import codeversion
from perturbstudy.codeversion import (
    import_cycles,
    import_graph,
    longest_chain,
    normalized_source,
    step_code_version,
)

PKG = "fakepkg"
FILES = {
    "__init__.py": '"""Fake package."""\n',
    "util.py": "def f():\n    return 1\n",
    "core/__init__.py": "",
    "core/mid.py": "from ..util import f\n\n\ndef g():\n    return f()\n",
    "steps/__init__.py": "",
    "steps/a.py": "from fakepkg.core import mid\n\nX = mid.g()\n",
    "steps/lazy.py": "def run():\n    from fakepkg import util\n\n    return util.f()\n",
    "steps/other.py": "import json\n\n\ndef h():\n    return json.dumps(1)\n",
}
STEPS = ["fakepkg.steps.a", "fakepkg.steps.lazy", "fakepkg.steps.other"]


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    """A fresh copy of the fake package; the code-version caches start empty and are emptied afterwards."""
    root = tmp_path / PKG
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    codeversion.clear_caches()
    yield root
    codeversion.clear_caches()


def versions(root: Path) -> dict[str, str]:
    codeversion.clear_caches()
    return {step: step_code_version(step, package_root=root, package=PKG) for step in STEPS}


def test_import_graph_resolves_relative_deferred_and_submodule_imports(pkg):
    graph = import_graph(pkg, PKG)
    assert graph["fakepkg.core.mid"] == {"fakepkg", "fakepkg.core", "fakepkg.util"}
    assert graph["fakepkg.steps.a"] == {"fakepkg", "fakepkg.steps", "fakepkg.core", "fakepkg.core.mid"}
    assert graph["fakepkg.steps.lazy"] == {"fakepkg", "fakepkg.steps", "fakepkg.util"}
    assert graph["fakepkg.steps.other"] == {"fakepkg", "fakepkg.steps"}
    named = import_graph(pkg, PKG, parents=False)
    assert named["fakepkg.steps.a"] == {"fakepkg.core.mid"}
    assert named["fakepkg.core.mid"] == {"fakepkg.util"}
    assert named["fakepkg.steps.other"] == set()


def test_docstring_comment_and_layout_edits_keep_every_version(pkg):
    before, source = versions(pkg), normalized_source(pkg / "util.py")
    (pkg / "util.py").write_text(
        '"""Utilities, now documented."""\n\n# a comment\n\n\ndef f(  # why\n):\n'
        '    """Return one."""\n\n    return (1)  # the answer\n'
    )
    (pkg / "__init__.py").write_text('"""Fake package, reworded."""\n# nothing else\n')
    assert normalized_source(pkg / "util.py") == source
    assert versions(pkg) == before


def test_class_docstring_is_ignored_but_other_strings_count(pkg):
    (pkg / "util.py").write_text('class C:\n    """Doc."""\n\n    x = "a"\n')
    before = versions(pkg)
    (pkg / "util.py").write_text('class C:\n    """Other doc."""\n\n    x = "a"\n')
    assert versions(pkg) == before
    (pkg / "util.py").write_text('class C:\n    """Other doc."""\n\n    x = "b"\n')
    after = versions(pkg)
    assert after["fakepkg.steps.a"] != before["fakepkg.steps.a"]


def test_a_body_change_reruns_exactly_the_steps_importing_the_module(pkg):
    before = versions(pkg)
    (pkg / "util.py").write_text("def f():\n    return 2\n")
    after = versions(pkg)
    assert after["fakepkg.steps.a"] != before["fakepkg.steps.a"]  # via core.mid, a relative import
    assert after["fakepkg.steps.lazy"] != before["fakepkg.steps.lazy"]  # via a function-level import
    assert after["fakepkg.steps.other"] == before["fakepkg.steps.other"]


def test_package_inits_count(pkg):
    before = versions(pkg)
    (pkg / "steps" / "__init__.py").write_text("LIMIT = 3\n")
    after = versions(pkg)
    assert all(after[s] != before[s] for s in STEPS)
    codeversion.clear_caches()
    mid = step_code_version("fakepkg.core.mid", package_root=pkg, package=PKG)
    (pkg / "core" / "__init__.py").write_text("LIMIT = 4\n")
    codeversion.clear_caches()
    assert step_code_version("fakepkg.core.mid", package_root=pkg, package=PKG) != mid
    final = versions(pkg)
    assert final["fakepkg.steps.a"] != after["fakepkg.steps.a"]
    assert final["fakepkg.steps.other"] == after["fakepkg.steps.other"]


def test_a_new_import_joins_the_version(pkg):
    (pkg / "steps" / "other.py").write_text(FILES["steps/other.py"] + "\n\ndef k():\n    from .. import util\n")
    before = versions(pkg)
    (pkg / "util.py").write_text("def f():\n    return 3\n")
    assert versions(pkg)["fakepkg.steps.other"] != before["fakepkg.steps.other"]
    assert "fakepkg.util" in import_graph(pkg, PKG)["fakepkg.steps.other"]


def test_the_stored_analysis_follows_the_file_content(pkg):
    first = versions(pkg)
    store = next((pkg / "__pycache__").glob("codeversion.*.json"))
    original = (pkg / "util.py").read_text()
    (pkg / "util.py").write_text("def f():\n    return 5\n")
    assert versions(pkg) != first
    (pkg / "util.py").write_text(original)
    assert versions(pkg) == first
    store.write_text("{not json")
    assert versions(pkg) == first


def test_version_is_sha256_over_names_and_normalized_sources(pkg):
    reach = ["fakepkg", "fakepkg.steps", "fakepkg.steps.lazy", "fakepkg.util"]
    paths = {"fakepkg": "__init__.py", "fakepkg.steps": "steps/__init__.py", "fakepkg.steps.lazy": "steps/lazy.py",
             "fakepkg.util": "util.py"}
    digest = hashlib.sha256()
    for name in reach:
        normalized = hashlib.sha256(normalized_source(pkg / paths[name]).encode()).hexdigest()
        digest.update(f"{name}\0{normalized}\n".encode())
    assert step_code_version("fakepkg.steps.lazy", package_root=pkg, package=PKG) == digest.hexdigest()


def test_bad_names_and_imports_raise_clear_errors(pkg):
    with pytest.raises(ValueError, match=r"fakepkg\.steps\.nope"):
        step_code_version("fakepkg.steps.nope", package_root=pkg, package=PKG)
    with pytest.raises(ValueError, match="has no __init__.py"):
        import_graph(pkg / "core" / "missing", PKG)
    (pkg / "util.py").write_text("from ... import x\n")
    with pytest.raises(ValueError, match=r"util\.py:1: relative import of level 3"):
        import_graph(pkg, PKG)
    (pkg / "util.py").write_text("import json\n\n\ndef f():\n    from fakepkg.ghost import y\n")
    with pytest.raises(ValueError, match=r"util\.py:5: imports 'fakepkg\.ghost'"):
        import_graph(pkg, PKG)


def test_a_package_reexporting_its_submodule_is_no_cycle(pkg):
    (pkg / "core" / "__init__.py").write_text("from .mid import g\n")
    assert import_cycles(import_graph(pkg, PKG, parents=False)) == []
    assert "fakepkg.core" in import_graph(pkg, PKG)["fakepkg.core.mid"]
    (pkg / "util.py").write_text("from fakepkg.core import g\n")  # util -> core -> mid -> util
    assert import_cycles(import_graph(pkg, PKG, parents=False)) == [["fakepkg.core", "fakepkg.core.mid",
                                                                     "fakepkg.util"]]


def test_cycles_and_longest_chain_on_a_small_graph():
    graph = {"a": {"b"}, "b": {"c", "d"}, "c": {"b", "e"}, "d": {"e"}, "e": set(), "s": {"s"}, "t": {"e"}}
    assert import_cycles(graph) == [["b", "c"], ["s"]]
    assert longest_chain(graph) == ["a", "b <-> c", "d", "e"]
    assert longest_chain({"x": {"y"}, "y": set()}) == ["x", "y"]
    assert longest_chain({}) == [] and import_cycles({}) == []


def test_cli_reports_modules_edges_cycles_and_chain(pkg, capsys):
    assert codeversion.main(["--root", str(pkg), "--package", PKG]) == 0
    out = capsys.readouterr().out
    assert "modules: 8" in out and "cycles: 0" in out
    assert "fakepkg.steps.a -> fakepkg.core.mid -> fakepkg.util" in out
    (pkg / "util.py").write_text("import fakepkg.steps.a\n")
    assert codeversion.main(["--root", str(pkg), "--package", PKG]) == 1
    assert "fakepkg.core.mid <-> fakepkg.steps.a <-> fakepkg.util" in capsys.readouterr().out


def test_step_function_version_covers_its_own_function_helpers_and_imports(pkg):
    (pkg / "steps" / "many.py").write_text(
        "def _helper():\n    from fakepkg.core import mid\n\n    return mid.g()\n\n\n"
        "def uses_helper():\n    return _helper()\n\n\n"
        "def plain():\n    from fakepkg import util\n\n    return util.f()\n")

    def both() -> tuple[str, str]:
        codeversion.clear_caches()
        return tuple(codeversion.step_function_version(f"{PKG}.steps.many", name, pkg, PKG)
                     for name in ("uses_helper", "plain"))

    helper, plain = both()
    mid = pkg / "core" / "mid.py"
    mid.write_text(mid.read_text() + "\n\nY = 2\n")  # only the helper's import reaches core.mid
    assert both()[0] != helper and both()[1] == plain
    many = pkg / "steps" / "many.py"
    many.write_text(many.read_text().replace("return util.f()", "return util.f() + 1"))
    assert both()[1] != plain and both()[0] != helper
    helper = both()[0]
    many.write_text(many.read_text().replace("def plain():", 'def plain():\n    """A docstring."""'))
    assert both()[0] == helper
    with pytest.raises(ValueError, match="no function"):
        codeversion.step_function_version(f"{PKG}.steps.many", "missing", pkg, PKG)
