"""The package's layers import one way and nothing imports in a circle (read from the sources' import statements).

From the bottom: the shared helpers, ``api`` (talking HTTP to Tencent), ``storage`` and ``records`` (the staged
format), ``validation`` (pure rules), ``credentials``, ``hooks``, then ``fetch`` and ``orders``, ``quality``
(judging), ``warehouse`` (rows and loads), ``operators``, ``pipeline`` (the DAG's task bodies) and the
provider info. A module may import its own layer's modules and lower layers only.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "plugins" / "tencent_kyc"
LAYERS = [
    {"registry", "dbapi"},
    {"api"},
    {"storage"},
    {"records"},
    {"validation"},
    {"credentials"},
    {"hooks"},
    {"fetch", "orders"},
    {"quality"},
    {"warehouse"},
    {"operators"},
    {"pipeline"},
    {"ui"},
    {"provider_info"},
]
LEVEL = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """Module → the package modules it imports (anywhere in the file, lazy imports included)."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tencent_kyc"):
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    is_module = (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists()
                    targets.add(candidate if is_module else node.module)
            elif isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names if alias.name.startswith("tencent_kyc")}
        found[module_name(path)] = targets - {module_name(path)}
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {layer(module) for module in imports()} - {"__init__"}
    assert parts <= set(LEVEL), f"give these a layer in LAYERS: {sorted(parts - set(LEVEL))}"


def test_layers_import_one_way() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in imports().items()
        if layer(module) in LEVEL
        for target in targets
        if layer(target) in LEVEL and LEVEL[layer(target)] > LEVEL[layer(module)]
    ]
    assert wrong == []


def test_the_named_boundaries() -> None:
    graph = imports()

    def reaches(prefix: str) -> set[str]:
        return {layer(target) for module, targets in graph.items() if layer(module) == prefix for target in targets}

    assert "warehouse" not in reaches("quality")
    assert not reaches("validation") & {"credentials", "hooks", "operators", "fetch", "quality", "warehouse", "orders"}
    assert not reaches("api") & {"hooks", "operators", "fetch", "quality", "warehouse"}


def test_no_import_cycles() -> None:
    graph = imports()
    cycles, state = [], dict.fromkeys(graph, 0)  # 0 new, 1 on the stack, 2 done

    def visit(module: str, stack: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if target not in state:
                continue
            if state[target] == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif state[target] == 0:
                visit(target, [*stack, target])
        state[module] = 2

    for module in sorted(graph):
        if state[module] == 0:
            visit(module, [module])
    assert cycles == []


def test_the_provider_info_imports_no_airflow() -> None:
    """Airflow reads the provider info while it starts: importing Airflow from there would be circular."""
    script = (
        "import sys, tencent_kyc.provider_info as p; p.get_provider_info(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'airflow'}))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
