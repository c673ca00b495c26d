"""The package stays readable: small modules, short functions, imports that run one way.

Known exceptions are listed by name, so the list shrinks as they are split, and a new long module
or function fails here instead of growing quietly.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "artdl"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
# Still over the limits; to be split (see CONTRIBUTING.md).
LONG_MODULES: set[str] = set()
LONG_FUNCTIONS: set[str] = set()

def _modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(SRC).as_posix()


def test_modules_are_short():
    long = {_name(p): len(p.read_text().splitlines()) for p in _modules()}
    over = {n: c for n, c in long.items() if c > MAX_MODULE_LINES and n not in LONG_MODULES}
    assert not over, f"modules over {MAX_MODULE_LINES} lines: {over}"


def test_functions_are_short():
    over = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                key = f"{_name(path)}:{node.name}"
                if length > MAX_FUNCTION_LINES and key not in LONG_FUNCTIONS:
                    over.append(f"{key} ({length} lines)")
    assert not over, f"functions over {MAX_FUNCTION_LINES} lines: {over}"


def test_no_import_cycles_even_deferred():
    """grimp sees every import, also those inside functions: a cycle hidden in a function fails here."""
    import grimp
    import networkx as nx

    graph = grimp.build_graph("artdl", cache_dir=None)
    edges = nx.DiGraph(
        (module, imported) for module in graph.modules for imported in graph.find_modules_directly_imported_by(module)
    )
    cycles = sorted(nx.simple_cycles(edges), key=len)
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_top_level_holds_only_packages():
    loose = sorted(p.name for p in SRC.glob("*.py") if p.name not in {"__init__.py", "__main__.py"})
    assert not loose, f"modules outside a package: {loose} (see CONTRIBUTING.md, The layout)"


def _top_level_names(tree: ast.Module) -> tuple[set[str], list[str]]:
    defined: set[str] = set()
    exported: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                defined.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
                if isinstance(target, ast.Name) and target.id == "__all__":
                    exported = list(ast.literal_eval(node.value))
    return defined, exported


def test_only_package_inits_re_export():
    """A name has one home: a module's ``__all__`` lists only what it defines (no forwarding shims)."""
    shims = {}
    for path in _modules():
        if path.name == "__init__.py":
            continue
        defined, exported = _top_level_names(ast.parse(path.read_text()))
        forwarded = sorted(set(exported) - defined)
        if forwarded:
            shims[_name(path)] = forwarded
    assert not shims, f"modules re-exporting names they do not define: {shims}"


def test_public_names_are_imported_from_their_package():
    """Outside its package, a public name comes from the package (``from artdl.classify import fit``),
    not from the module inside it, so every public name has exactly one import path."""
    import importlib

    apis = {}
    for init in SRC.rglob("__init__.py"):
        package = "artdl." + ".".join(init.parent.relative_to(SRC).parts) if init.parent != SRC else "artdl"
        apis[package] = set(getattr(importlib.import_module(package), "__all__", ()))
    roots = [SRC, SRC.parents[1] / "tests", SRC.parents[1] / "benchmarks"]
    wrong = []
    for root in roots:
        for path in root.rglob("*.py"):
            if path == SRC / "__init__.py":
                continue  # the root package installs the progress bars before anything else
            here = "artdl." + ".".join(path.relative_to(SRC).with_suffix("").parts) if root == SRC else ""
            for node in ast.walk(ast.parse(path.read_text())):
                if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("artdl.")):
                    continue
                package = node.module.rsplit(".", 1)[0]
                same_step = here.split(".")[:2] == node.module.split(".")[:2]
                for alias in node.names:
                    if not same_step and alias.name in apis.get(package, ()):
                        wrong.append(f"{path.name}:{node.lineno} from {node.module} import {alias.name}")
    assert not wrong, f"import these from their package instead: {wrong[:10]}"


def _layout_block() -> dict[str, set[str]]:
    """CONTRIBUTING.md's tree: package path (``retrieve/graph``) -> the module names on its lines."""
    text = (SRC.parents[1] / "CONTRIBUTING.md").read_text()
    block = text.split("## The layout", 1)[1].split("```", 2)[1]
    listed: dict[str, set[str]] = {}
    stack: list[tuple[int, str]] = []
    current = ""
    for line in block.splitlines():
        body = line.split("←", 1)[0]
        match = re.match(r"^( +)([a-z_]+)/\s", body)
        if match and not body.lstrip().startswith("src/"):
            depth = len(match.group(1))
            stack = [(d, n) for d, n in stack if d < depth] + [(depth, match.group(2))]
            current = "/".join(n for _, n in stack)
            listed[current] = set(body.split()[1:])
        elif current and body.strip() and body.startswith(" " * 10):
            listed[current] |= set(body.split())
    return listed


def test_contributing_layout_lists_every_module():
    """CONTRIBUTING.md's layout block names every module under its package, so the map cannot fall
    behind the code."""
    listed = _layout_block()
    missing = []
    for path in _modules():
        if path.parent == SRC or path.name == "__init__.py":
            continue
        package = path.parent.relative_to(SRC).as_posix()
        if path.stem not in listed.get(package, set()):
            missing.append(_name(path))
    assert not missing, f"modules missing from CONTRIBUTING.md's layout block: {missing}"
