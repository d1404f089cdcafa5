"""List functions over 60 lines and modules over 600 lines (issue 19's "Done when").

A function or module whose docstring says why it is long ("long because ...") is not listed.
Usage: python scripts/sizes.py  (exit status 1 when there are offenders).
"""

import ast
import pathlib
import sys

APPS = [
    "groupsales",
    "sandbox",
    "carrier",
    "agencies",
    "catalogue",
    "enrollment",
    "members",
    "edi",
    "reports",
    "portal",
    "renewals",
    "maintenance",
    "employers",
]
FUNCTION_LINES, MODULE_LINES = 60, 600


def _excused(node: ast.AST) -> bool:
    doc = (
        ast.get_docstring(node)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef)
        else None
    )
    return bool(doc and "long because" in doc.lower())


def offenders(root: pathlib.Path) -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            tree = ast.parse(text)
            lines = len(text.splitlines())
            if lines > MODULE_LINES and not _excused(tree):
                found.append(f"{path.relative_to(root)}: module {lines} lines")
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    size = (node.end_lineno or node.lineno) - node.lineno + 1
                    if size > FUNCTION_LINES and not _excused(node):
                        found.append(f"{path.relative_to(root)}:{node.lineno}: {node.name} {size} lines")
    return found


if __name__ == "__main__":
    rows = offenders(pathlib.Path(__file__).resolve().parent.parent)
    print("\n".join(rows))
    sys.exit(1 if rows else 0)
