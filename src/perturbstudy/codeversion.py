"""Per-step code versions: a hash of exactly the package modules a step imports, comments and docstrings aside.

A rule's `code` param is `step_code_version("perturbstudy.steps.<x>")`, so an edit reruns only the steps whose
modules it changes. Static (AST; nothing is imported). `python -m perturbstudy.codeversion` reports the import graph.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import functools
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
_SCOPES = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")
# One import as written: (kind "import"/"from", relative level, module, imported names, line).
_Import = tuple[str, int, str, tuple[str, ...], int]
_Summary = tuple[tuple[_Import, ...], str]  # (imports, sha256 of the normalized source)


def _statements(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every statement of `body` and of the bodies nested in it (imports and definitions are statements)."""
    stack: list[ast.AST] = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for field in _BODIES:
            stack.extend(reversed(getattr(node, field, ())))


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


@functools.cache
def _tree(source: bytes, filename: str) -> ast.Module:
    """The module's AST without its module, class and function docstrings (cached per source; read-only)."""
    tree = ast.parse(source, filename=filename)
    for node in [tree, *_statements(tree.body)]:
        if isinstance(node, _SCOPES) and node.body and _is_docstring(node.body[0]):
            del node.body[0]
    return tree


@functools.cache
def _normalized(source: bytes, filename: str) -> str:
    return ast.dump(_tree(source, filename), include_attributes=False)


def normalized_source(path: str | os.PathLike) -> str:
    """The module at `path` as an AST dump without docstrings: comments, docstrings and layout do not change it."""
    path = Path(path)
    return _normalized(path.read_bytes(), str(path))


@functools.cache
def _summary(source: bytes, filename: str) -> _Summary:
    """The imports written in a module (at any depth) and the hash of its normalized source."""
    imports: list[_Import] = []
    for node in _statements(_tree(source, filename).body):
        if isinstance(node, ast.Import):
            imports += [("import", 0, alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = tuple(alias.name for alias in node.names)
            imports.append(("from", node.level, node.module or "", names, node.lineno))
    digest = hashlib.sha256(_normalized(source, filename).encode()).hexdigest()
    return tuple(imports), digest


# The summaries persist in <package>/__pycache__ keyed by file content, so a fresh `snakemake` process (which
# re-evaluates every rule's code param) parses only the files that changed: a cold parse of the package is ~0.2 s.
@functools.cache
def _store_version() -> str:
    return hashlib.sha256(Path(__file__).read_bytes() + sys.implementation.cache_tag.encode()).hexdigest()


def _store_path(root: Path) -> Path:
    return root / "__pycache__" / f"codeversion.{sys.implementation.cache_tag}.json"


def _load_store(path: Path) -> dict[str, _Summary]:
    """The stored summaries, or none if the store is missing, unreadable or written by another version of this file."""
    try:
        data = json.loads(path.read_bytes())
        if data["version"] != _store_version():
            return {}
        return {key: (tuple((k, lv, m, tuple(n), ln) for k, lv, m, n, ln in imports), digest)
                for key, (imports, digest) in data["entries"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _save_store(path: Path, entries: dict[str, _Summary]) -> None:
    """Write the store atomically; a read-only package directory just means the next process parses again."""
    tmp = None
    try:
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            out.write(json.dumps({"version": _store_version(), "entries": entries}))
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _module_files(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file for every `.py` file of the package directory `root`."""
    if not (root / "__init__.py").is_file():
        raise ValueError(f"package_root {root} has no __init__.py; pass the directory of package {package!r}")
    files = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        if "__pycache__" in rel.parts:
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        files[".".join((package, *parts))] = path
    return files


def _summaries(root: Path, files: Mapping[str, Path]) -> dict[str, _Summary]:
    store_path = _store_path(root)
    store = _load_store(store_path)
    out, keep, missed = {}, {}, False
    for name, path in files.items():
        source = path.read_bytes()
        key = hashlib.sha256(source).hexdigest()
        if key not in store:
            store[key] = _summary(source, str(path))
            missed = True
        out[name] = keep[key] = store[key]
    if missed:
        _save_store(store_path, keep)
    return out


def _ancestors(name: str, files: Mapping[str, Path]) -> set[str]:
    """The packages whose `__init__` runs before module `name` does."""
    parts = name.split(".")
    return {p for p in (".".join(parts[:i]) for i in range(1, len(parts))) if p in files}


def _targets(name: str, imp: _Import, files: Mapping[str, Path], package: str) -> tuple[set[str], set[str]]:
    """(modules an import names, packages it runs only as parents) among the package's modules."""
    kind, level, base, names, lineno = imp
    where = f"{files[name]}:{lineno}"
    if level:
        parts = name.split(".") if files[name].name == "__init__.py" else name.split(".")[:-1]
        if level - 1 >= len(parts):
            raise ValueError(f"{where}: relative import of level {level} goes above package {package!r}; "
                             "use fewer dots or an absolute import")
        base = ".".join([*parts[: len(parts) - (level - 1)], *([base] if base else [])])
    if base != package and not base.startswith(package + "."):
        return set(), set()
    submodules = {f"{base}.{n}" for n in names if f"{base}.{n}" in files}
    if kind == "from" and len(submodules) == len(names):  # `from pkg import sub, ...`: pkg runs as their parent
        return submodules, {base} & files.keys()
    if base not in files:
        raise ValueError(f"{where}: imports {base!r}, which is no module of {package!r} under "
                         f"{files[package].parent}; fix the import or add the module")
    return submodules | {base}, set()


def import_graph(package_root: Path | None = None, package: str = "perturbstudy", *,
                 parents: bool = True) -> dict[str, set[str]]:
    """Module -> the package modules it imports (function-level imports too; relative imports resolved).

    With `parents` (the code-version view) a module also depends on every package `__init__` that runs before it
    or before what it imports; `parents=False` keeps only the modules its import statements name (the cycle view:
    a submodule needing its own package's `__init__` to have started is no cycle).
    """
    root = Path(package_root).resolve() if package_root is not None else PACKAGE_ROOT
    files = _module_files(root, package)
    return _graph(files, _summaries(root, files), package, parents)


def _graph(files: Mapping[str, Path], summaries: Mapping[str, _Summary], package: str,
           parents: bool) -> dict[str, set[str]]:
    graph = {}
    for name in files:
        named, run = set(), _ancestors(name, files)
        for imp in summaries[name][0]:
            n, r = _targets(name, imp, files, package)
            named |= n
            run |= r
        for target in named:
            run |= _ancestors(target, files)
        graph[name] = (named | run if parents else named) - {name}
    return graph


def _reachable(graph: Mapping[str, set[str]], starts: tuple[str, ...]) -> set[str]:
    seen, stack = set(starts), list(starts)
    while stack:
        for dep in graph[stack.pop()]:
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen


@functools.cache
def _package(root: Path, package: str) -> tuple[dict[str, set[str]], dict[str, str]]:
    """The code-version import graph and the normalized-source digests of a package, read once per process."""
    files = _module_files(root, package)
    summaries = _summaries(root, files)
    return _graph(files, summaries, package, parents=True), {name: s[1] for name, s in summaries.items()}


@functools.cache
def step_code_version(*modules: str, package_root: Path | None = None, package: str = "perturbstudy") -> str:
    """sha256 over name and normalized source of every package module reachable from `modules` (themselves included).

    The package is read once per process (one Snakemake parse) and each argument tuple is cached; a process that
    edits the package between calls (a test) calls `clear_caches()` first.
    """
    if not modules:
        raise ValueError(f"step_code_version needs at least one module name, e.g. '{package}.steps.train'")
    root = Path(package_root).resolve() if package_root is not None else PACKAGE_ROOT
    graph, digests = _package(root, package)
    unknown = [m for m in modules if m not in graph]
    if unknown:
        raise ValueError(f"step_code_version: no module {unknown} in package {package!r} under {root}; "
                         f"give dotted module names like '{package}.steps.train'")
    digest = hashlib.sha256()
    for name in sorted(_reachable(graph, modules)):
        digest.update(f"{name}\0{digests[name]}\n".encode())
    return digest.hexdigest()


@functools.cache
def step_function_version(module: str, function: str, package_root: Path | None = None,
                          package: str = "perturbstudy") -> str:
    """The code version of one step function: its module's top level, the function and the module's functions it
    calls (transitively), and every package module reachable from the imports in those.

    So a step module serving several rules (e.g. every analysis rule) reruns only the rules whose code changed.
    """
    root = Path(package_root).resolve() if package_root is not None else PACKAGE_ROOT
    files = _module_files(root, package)
    if module not in files:
        raise ValueError(f"step_function_version: no module {module!r} in package {package!r} under {root}")
    path = files[module]
    source = path.read_bytes()
    body = _tree(source, str(path)).body
    if not any(isinstance(n, ast.FunctionDef) and n.name == function for n in body):
        raise ValueError(f"{path}: no function {function!r}; a rule's step is the function named after the rule")
    functions = {n.name: n for n in body if isinstance(n, ast.FunctionDef)}
    used, todo = {function}, [functions[function]]
    while todo:  # the private helpers the step calls, transitively
        for node in ast.walk(todo.pop()):
            if isinstance(node, ast.Name) and node.id in functions and node.id not in used:
                used.add(node.id)
                todo.append(functions[node.id])
    keep = [n for n in body if not isinstance(n, ast.FunctionDef) or n.name in used]
    imports: list[_Import] = []
    for node in _statements(keep):
        if isinstance(node, ast.Import):
            imports += [("import", 0, alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imports.append(("from", node.level, node.module or "", tuple(a.name for a in node.names), node.lineno))
    deps: set[str] = set(_ancestors(module, files))
    for imp in imports:
        named, run = _targets(module, imp, files, package)
        deps |= named | run
    digest = hashlib.sha256(ast.dump(ast.Module(body=keep, type_ignores=[]), include_attributes=False).encode())
    if deps:
        digest.update(step_code_version(*sorted(deps), package_root=root, package=package).encode())
    return digest.hexdigest()


def clear_caches() -> None:
    """Forget the package as read so far, so that the next `step_code_version` call sees edited files."""
    step_code_version.cache_clear()
    step_function_version.cache_clear()
    _package.cache_clear()


def _components(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan, iterative), each sorted, dependencies before their importers."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    nodes = sorted(set(graph).union(*graph.values()))
    for start in nodes:
        if start in index:
            continue
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(sorted(graph.get(start, ()))))]
        while work:
            v, deps = work[-1]
            for w in deps:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    component = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        component.append(w)
                        if w == v:
                            break
                    components.append(sorted(component))
    return components


def import_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected components of more than one module, and modules importing themselves."""
    return sorted(c for c in _components(graph) if len(c) > 1 or c[0] in graph.get(c[0], ()))


def longest_chain(graph: Mapping[str, set[str]]) -> list[str]:
    """The longest import path (importer first) through the graph of cycles condensed to one node each.

    A cycle on the path appears as one entry `"a <-> b"`; ties go to the alphabetically first path.
    """
    components = _components(graph)
    owner = {name: i for i, component in enumerate(components) for name in component}
    best: list[list[str]] = []
    for i, component in enumerate(components):  # dependencies come first, so their chains are known
        label = " <-> ".join(component)
        successors = {owner[w] for v in component for w in graph.get(v, ()) if owner[w] != i}
        tail = min((best[j] for j in successors), key=lambda chain: (-len(chain), chain), default=[])
        best.append([label, *tail])
    return min(best, key=lambda chain: (-len(chain), chain), default=[])


def main(argv: list[str] | None = None) -> int:
    """Print the package's module and edge counts, its import cycles and its longest import chain; 1 if cycles."""
    parser = argparse.ArgumentParser(prog="python -m perturbstudy.codeversion", description=main.__doc__)
    parser.add_argument("--root", type=Path, default=None, help="package directory (default: this package)")
    parser.add_argument("--package", default="perturbstudy", help="its import name (default: perturbstudy)")
    args = parser.parse_args(argv)
    named = import_graph(args.root, args.package, parents=False)
    full = import_graph(args.root, args.package)
    cycles, chain = import_cycles(named), longest_chain(named)
    print(f"modules: {len(named)}")
    print(f"edges: {sum(map(len, named.values()))} (named by imports), "
          f"{sum(map(len, full.values()))} with the package __init__s they run")
    print(f"cycles: {len(cycles)}")
    for cycle in cycles:
        print("  " + " <-> ".join(cycle))
    print(f"longest chain: {len(chain)} modules")
    print("  " + " -> ".join(chain))
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
