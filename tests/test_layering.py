"""The package's shape, checked from its source with ``ast`` (docs/architecture.md states the rules).

- Each subpackage imports only the layers below it (``ALLOWED``); nothing imports upward.
- No import cycle between modules, counting imports inside functions too.
- No module reads another module's ``_private`` names or assigns to another module's globals.
- Every Numba internal is used in ``kernels/numba_glue.py`` only.
- (#14 quick tier) LLVM's compiler (``llvmlite.binding``'s parser, optimiser, emitter, JIT engine) is used in
  ``kernels/llvm_glue.py`` only.
"""
from __future__ import annotations

import ast
from pathlib import Path

import lazyarr

PACKAGE = Path(lazyarr.__file__).parent

# Layer -> the lazyarr layers it may import. "" is the package's own leaf modules (config, _version).
ALLOWED = {
    "": set(),
    "kernels": {""},
    "graph": {""},
    "compiler": {"", "kernels", "graph"},
    "runtime": {"", "kernels", "graph", "compiler"},
    "api": {"", "kernels", "graph", "compiler", "runtime"},
    "tracer": {"", "kernels", "graph", "compiler", "runtime", "api"},
    "dask": {"", "kernels", "graph", "compiler", "runtime", "api"},
    "array_api": {"", "kernels", "graph", "compiler", "runtime", "api"},  # array API (#16)
}
# The package's front door and the demo may import anything.
TOP_LEVEL = {"lazyarr", "lazyarr.demo"}
NUMBA_GLUE = "lazyarr.kernels.numba_glue"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = modules()


def layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and name + ".__init__" not in MODULES
                                           and (PACKAGE / parts[1]).is_dir()) else ""


def imported(tree: ast.Module) -> list[tuple[str, list[str], int]]:
    """(module, names taken from it, line) for every lazyarr import, module level or not."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.startswith("lazyarr")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lazyarr"):
            assert node.level == 0, "relative imports are not used"
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                if sub in MODULES:
                    found.append((sub, [], node.lineno))
                else:
                    found.append((node.module, [a.name], node.lineno))
    return found


def edges() -> dict[str, set[str]]:
    graph = {name: set() for name in MODULES}
    for name, tree in MODULES.items():
        for target, _, _ in imported(tree):
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def test_no_upward_imports():
    bad = []
    for name, tree in MODULES.items():
        if name in TOP_LEVEL:
            continue
        for target, _, line in imported(tree):
            if target in TOP_LEVEL and target != "lazyarr":
                bad.append(f"{name}:{line} imports {target}")
            elif target == "lazyarr" or target not in MODULES:
                bad.append(f"{name}:{line} imports the package root or an unknown module {target}")
            elif layer(target) != layer(name) and layer(target) not in ALLOWED[layer(name)]:
                bad.append(f"{name}:{line} ({layer(name) or 'top'}) imports {target} ({layer(target) or 'top'})")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    graph = edges()
    colour, stack, cycles = {}, [], []

    def visit(start):
        # iterative depth-first search: a grey node met again closes a cycle
        todo = [(start, iter(sorted(graph[start])))]
        colour[start] = "grey"
        stack.append(start)
        while todo:
            node, children = todo[-1]
            child = next(children, None)
            if child is None:
                colour[node] = "black"
                stack.pop()
                todo.pop()
            elif colour.get(child) == "grey":
                cycles.append(stack[stack.index(child):] + [child])
            elif child not in colour:
                colour[child] = "grey"
                stack.append(child)
                todo.append((child, iter(sorted(graph[child]))))

    for name in sorted(graph):
        if name not in colour:
            visit(name)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def _module_aliases(tree: ast.Module) -> dict[str, str]:
    """Local names bound to lazyarr modules (``from lazyarr.graph import expr`` -> {'expr': 'lazyarr.graph.expr'})."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lazyarr"):
            for a in node.names:
                if f"{node.module}.{a.name}" in MODULES:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name in MODULES and a.asname:
                    aliases[a.asname] = a.name
    return aliases


def test_no_private_names_of_other_modules_and_no_writes_to_their_globals():
    bad = []
    for name, tree in MODULES.items():
        for target, names, line in imported(tree):
            bad += [f"{name}:{line} imports {target}.{n}" for n in names if n.startswith("_") and n != "__version__"]
        aliases = _module_aliases(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                if node.attr.startswith("_") and not node.attr.startswith("__"):
                    bad.append(f"{name}:{node.lineno} reads {aliases[node.value.id]}.{node.attr}")
                if isinstance(node.ctx, ast.Store):
                    bad.append(f"{name}:{node.lineno} assigns {aliases[node.value.id]}.{node.attr}")
    assert not bad, "\n".join(bad)


# Numba's documented extension API (numba.extending, numba.core.types/cgutils/typing/errors) may be used where
# it is needed; these are its internals.
NUMBA_INTERNAL_MODULES = ("numba.core.compiler_lock", "numba.core.registry", "numba.core.caching",
                          "numba.core.runtime", "numba.np.ufunc_db", "numba.np.ufunc.parallel")
NUMBA_INTERNAL_ATTRIBUTES = ("_load_overload", "_cache_hits", "_cache", "insert_user_function", "target_context")


def test_numba_internals_live_in_one_module():
    bad = []
    for name, tree in MODULES.items():
        if name == NUMBA_GLUE:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                if isinstance(node, ast.ImportFrom) and node.module in ("numba.core", "numba.np"):
                    targets = [f"{node.module}.{a.name}" for a in node.names]
                bad += [f"{name}:{node.lineno} imports {t}" for t in targets if t in NUMBA_INTERNAL_MODULES]
            elif isinstance(node, ast.Attribute) and node.attr in NUMBA_INTERNAL_ATTRIBUTES:
                bad.append(f"{name}:{node.lineno} uses .{node.attr}")
    assert not bad, "\n".join(bad)


def test_graph_nodes_carry_no_runtime_state():
    tree = MODULES["lazyarr.graph.expr"]
    node_class = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Node")
    slots = next(n for n in node_class.body if isinstance(n, ast.Assign)
                 and any(getattr(t, "id", None) == "__slots__" for t in n.targets))
    names = {e.value for e in slots.value.elts}
    assert not names & {"memo", "cache", "compiled", "kernel"}, names


LLVM_GLUE = "lazyarr.kernels.llvm_glue"  # #14 quick tier
# LLVM's compiler: parsing IR, the optimiser, code emission and the JIT engine (kernels/scipy_bridge.py's
# ``add_symbol``, which only names a C function for Numba's linker, is not one of them)
LLVM_COMPILER_ATTRIBUTES = ("parse_assembly", "create_mcjit_compiler", "create_target_machine",
                            "create_pass_builder", "create_pipeline_tuning_options", "emit_object",
                            "add_object_file", "get_function_address")


def test_llvms_compiler_is_used_in_one_module():
    bad = [f"{name}:{node.lineno} uses .{node.attr}" for name, tree in MODULES.items() if name != LLVM_GLUE
           for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr in LLVM_COMPILER_ATTRIBUTES]
    assert not bad, "\n".join(bad)
