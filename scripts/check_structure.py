"""Structure checks of the package: import cycles (imports inside functions count), module sizes, docstrings.

    python scripts/check_structure.py          # prints what it finds; exit 1 if anything is wrong

The same checks run in tests/test_architecture.py.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "nlp"
MAX_LINES = 600


def module_name(path: Path) -> str:
    """Dotted module name of a file of the package."""
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def package_files() -> list[Path]:
    """Every Python file of the package (the shipped-data folder holds no code and is skipped)."""
    return sorted(p for p in PACKAGE.rglob("*.py") if "models" not in p.relative_to(PACKAGE).parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Package modules a file imports anywhere (top level or inside functions)."""
    mod = module_name(path)
    is_pkg = path.name == "__init__.py"
    base_parts = mod.split(".") if is_pkg else mod.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                prefix = base_parts[: len(base_parts) - node.level + 1]
                target = ".".join(prefix + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{a.name}" for a in node.names]
        else:
            continue
        for n in names:
            while n and n not in known:
                n = n.rpartition(".")[0]
            if n and n != mod:
                out.add(n)
    return out


def import_cycles() -> list[list[str]]:
    """Cycles in the package's import graph (each as a list of modules)."""
    files = package_files()
    known = {module_name(p) for p in files}
    graph = {module_name(p): imports_of(p, known) for p in files}
    cycles, state, stack = [], {}, []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                cycles.append(stack[stack.index(m):] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    return cycles


def long_modules() -> list[tuple[str, int]]:
    """Modules over MAX_LINES lines."""
    out = []
    for p in package_files():
        n = len(p.read_text(encoding="utf-8").splitlines())
        if n > MAX_LINES:
            out.append((str(p.relative_to(ROOT)), n))
    return out


def missing_docstrings() -> list[str]:
    """Public modules, classes, functions and methods without a docstring."""
    out = []
    for p in package_files():
        tree = ast.parse(p.read_text(encoding="utf-8"))
        rel = str(p.relative_to(ROOT))
        if not ast.get_docstring(tree):
            out.append(f"{rel}: module")

        def walk(body, prefix: str, rel: str = rel) -> None:
            for node in body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    public = not node.name.startswith("_")
                    if public and not ast.get_docstring(node):
                        out.append(f"{rel}:{node.lineno}: {prefix}{node.name}")
                    if isinstance(node, ast.ClassDef) and public:
                        walk(node.body, f"{node.name}.")

        walk(tree.body, "")
    return out


def main() -> int:
    """Print every finding; exit 1 if there is any."""
    bad = 0
    for c in import_cycles():
        print("import cycle:", " -> ".join(c))
        bad += 1
    for name, n in long_modules():
        print(f"long module: {name} has {n} lines (> {MAX_LINES})")
        bad += 1
    for item in missing_docstrings():
        print("no docstring:", item)
        bad += 1
    print(f"{bad} finding(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
