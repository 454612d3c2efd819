"""The composition layer: one home per thing, layers that import only downwards, and the generator's
inputs built by the same functions for training, personalisation and inference."""

import ast
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src"

#: The packages of liquidwarp from the bottom up; a module may import from its own layer or a
#: lower one only (imports inside functions count too).
LAYERS = (
    ("errors", "validation", "io", "geometry", "models"),
    ("body",),
    ("rendering",),
    ("warping",),
    ("networks",),
    ("losses", "metrics"),
    ("perception",),
    ("fitting",),
    ("scene",),
    ("methods",),
    ("data",),
    ("training",),
    ("tasks",),
    ("bench",),
    ("cli",),
    ("web",),
    ("__main__",),
)


def _modules() -> dict[str, Path]:
    modules = {}
    for path in (SOURCE / "liquidwarp").rglob("*.py"):
        parts = path.relative_to(SOURCE).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The liquidwarp modules ``name`` imports, anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target.startswith("liquidwarp") and target not in ("liquidwarp", name):
                found.add(target)
    return found


def _layer(module: str) -> int:
    package = module.split(".")[1] if "." in module else module
    for index, names in enumerate(LAYERS):
        if package in names:
            return index
    raise AssertionError(f"{module}: its package is in no layer of this test")


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _upward(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{a} -> {b}" for a, targets in graph.items() for b in targets if _layer(b) > _layer(a))


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle of ``graph`` (module -> modules it imports), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target, path + [target])):
                return found
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module, [module])):
            return found
    return None


def test_every_package_imports_only_from_its_own_layer_or_below(graph):
    assert not _upward(graph)


def test_no_module_imports_itself_through_others(graph):
    assert _circle(graph) is None


def test_the_checks_find_an_upward_import_and_a_circle(tmp_path):
    modules = {"liquidwarp.scene.a": tmp_path / "a.py", "liquidwarp.tasks.b": tmp_path / "b.py"}
    (tmp_path / "a.py").write_text("def f():\n    from liquidwarp.tasks.b import thing\n")
    (tmp_path / "b.py").write_text("from ..scene import a\n")
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert graph == {"liquidwarp.scene.a": {"liquidwarp.tasks.b"}, "liquidwarp.tasks.b": {"liquidwarp.scene.a"}}
    assert _upward(graph) == ["liquidwarp.scene.a -> liquidwarp.tasks.b"]
    assert _circle(graph) == ["liquidwarp.scene.a", "liquidwarp.tasks.b", "liquidwarp.scene.a"]


def test_no_script_patches_the_library():
    """Diagnostics and benchmarks pass options; none assigns to a liquidwarp module's attribute."""
    patched = []
    for path in (ROOT / "benchmarks").rglob("*.py"):
        tree = ast.parse(path.read_text())
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("liquidwarp")}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("liquidwarp"):
                aliases |= {a.asname or a.name for a in node.names}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    root = target
                    while isinstance(root, ast.Attribute):
                        root = root.value
                    if isinstance(target, ast.Attribute) and isinstance(root, ast.Name) and root.id in aliases:
                        patched.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not patched, patched


# ------------------------------------------------------------------------ one source of G's inputs


@pytest.fixture(scope="module")
def scene(body):
    from liquidwarp.networks.generator import GeneratorConfig
    from liquidwarp.scene.views import prepare_source
    from liquidwarp.tasks.demo import demo_scene
    from liquidwarp.tasks.imitate import target_params

    demo = demo_scene(body, 4, 64)
    source = prepare_source(body, demo.photo, demo.params, demo.camera, (0.0, 0.0, 64.0), 64)
    generator = GeneratorConfig(base_channels=8, downsamplings=2, residual_blocks=1, max_channels=16, fill_unseen=True).build().eval()
    return demo, source, target_params(demo.params, demo.motion, in_place=True).index(2), generator


def _renderer(body, source, generator, **options):
    from liquidwarp.data.pairs import GUESS_TEXTURE_SIZE
    from liquidwarp.methods.lwg import LiquidWarpingRenderer, LwgOptions

    return LiquidWarpingRenderer(body, [source], generator, options=LwgOptions(texture_size=GUESS_TEXTURE_SIZE, **options))


def _assert_same(a, b) -> None:
    for name in ("images", "masks", "maps", "background"):
        assert torch.equal(getattr(a[0], name), getattr(b[0], name)), name
    ta, tb = a[1], b[1]
    for name in ("map", "mask", "guess"):
        assert torch.equal(getattr(ta, name), getattr(tb, name)), name
    assert len(ta.flows) == len(tb.flows) == 1
    assert torch.equal(ta.flows[0].grid, tb.flows[0].grid) and torch.equal(ta.flows[0].valid, tb.flows[0].valid)


def test_training_pairs_give_the_generator_what_inference_gives_it(body, scene):
    from liquidwarp.data.pairs import make_pair
    from liquidwarp.io.images import unit_to_uint8

    demo, source, target, generator = scene
    renderer = _renderer(body, source, generator)
    inference = (renderer.source_inputs, renderer.inputs(target, demo.camera))
    photo = unit_to_uint8(source.image)
    pair = make_pair(body, renderer.codes, photo, source.params, source.camera, photo, target, demo.camera)
    _assert_same((pair.source_inputs(), pair.target_inputs()), inference)
    assert inference[1].guess is not None and (~inference[1].flows[0].valid & inference[1].mask).sum() > 20  # the guess has work to do


def test_personalisation_gives_the_generator_what_inference_gives_it(body, scene):
    from liquidwarp.training.personalize import PersonalizeConfig, personal_pair

    demo, source, _, generator = scene
    renderer = _renderer(body, source, generator)
    inference = (renderer.source_inputs, renderer.inputs(source.params, source.camera))
    pair, hidden = personal_pair(body, renderer.codes, [source], np.random.default_rng(0), PersonalizeConfig(zoom=0.0, hide=0))
    assert not hidden.any()
    _assert_same((pair.source_inputs(), pair.target_inputs()), inference)


def test_lwg_options_turn_the_guess_off_and_show_each_frame(body, scene):
    demo, source, target, generator = scene
    seen = []
    renderer = _renderer(body, source, generator, guess=False, on_frame=lambda encoded, inputs: seen.append(inputs))
    frame = renderer.render(target, demo.camera)
    assert frame.shape == (64, 64, 3) and len(seen) == 1
    assert seen[0].guess is None and seen[0].mask.sum() > 100
