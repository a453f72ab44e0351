"""The size budget that keeps the code readable: every module ≤ 400 lines, every function ≤ 60 lines."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mmreason", "modalities", "data_builders", "bench")
MAX_MODULE, MAX_FUNCTION = 400, 60


def python_files():
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_the_budget_is_checked_on_real_files():
    files = python_files()
    assert len(files) > 50 and any(p.name == "rl.py" for p in files)


def test_every_module_and_function_is_within_budget():
    over = []
    for path in python_files():
        text = path.read_text()
        rel = path.relative_to(ROOT)
        if len(text.splitlines()) > MAX_MODULE:
            over.append(f"{rel}: {len(text.splitlines())} lines (module budget {MAX_MODULE})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION:
                    over.append(f"{rel}:{node.lineno} {node.name}: {n} lines (function budget {MAX_FUNCTION})")
    assert not over, "\n".join(over)
