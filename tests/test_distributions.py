"""The two distributions, built for real with ``pip wheel --no-deps``: the provider ships the product only.

``tencent-kyc`` (the root pyproject.toml) must hold the ``tencent_kyc`` package, all of it and nothing of the
development tools, and must not require pillow; ``tencent-kyc-dev`` (plugins/tencent_kyc_dev/pyproject.toml)
must hold every module of the tools (simulator, stack, demo) and require pillow and the provider. Both are
built from a copy of the projects' files: setuptools builds in place, so a ``build/`` left in the worktree by
an earlier build could put modules deleted since into a wheel, and the test must not write into the worktree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / "plugins"
TOOLS = PLUGINS / "tencent_kyc_dev"
#: Modules of the development tools, by name, which the provider's wheel must not hold under any package.
TOOL_MODULES = {"simulator", "stack", "demo"}


@dataclass(frozen=True)
class Wheel:
    path: Path
    files: list[str]
    metadata: str

    @property
    def modules(self) -> set[str]:
        return {name for name in self.files if name.endswith(".py")}

    @property
    def requires(self) -> dict[str, Requirement]:
        """``Requires-Dist`` by canonical distribution name."""
        lines = self.metadata.splitlines()
        found = [Requirement(line.partition(":")[2]) for line in lines if line.startswith("Requires-Dist:")]
        return {canonicalize_name(requirement.name): requirement for requirement in found}


def build(project: Path, out: Path) -> Wheel:
    """``pip wheel --no-deps`` of ``project`` (build isolation and its setuptools, as any user's build)."""
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(project)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = out.glob("*.whl")
    with zipfile.ZipFile(path) as wheel:
        files = wheel.namelist()
        (metadata,) = [name for name in files if name.endswith(".dist-info/METADATA")]
        return Wheel(path, files, wheel.read(metadata).decode())


def source_modules(package: Path, prefix: str) -> set[str]:
    """The ``.py`` files of a package folder, as wheel paths (``prefix/...``)."""
    return {
        f"{prefix}/{path.relative_to(package).as_posix()}"
        for path in package.rglob("*.py")
        if not {"__pycache__", "build"} & set(path.relative_to(package).parts)
    }


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files both builds read (both projects, the whole plugins/ folder), without caches or build output."""
    root = tmp_path_factory.mktemp("sources")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, root / name)
    ignored = shutil.ignore_patterns("__pycache__", "*.pyc", "build", "*.egg-info")
    shutil.copytree(PLUGINS, root / "plugins", ignore=ignored)
    return root


@pytest.fixture(scope="module")
def provider(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Wheel:
    return build(sources, tmp_path_factory.mktemp("provider-wheel"))


@pytest.fixture(scope="module")
def tools(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Wheel:
    return build(sources / "plugins" / "tencent_kyc_dev", tmp_path_factory.mktemp("tools-wheel"))


def test_the_provider_wheel_holds_the_provider_package_only(provider: Wheel) -> None:
    assert provider.path.name.startswith("tencent_kyc-")
    dist_info = next(name.split("/")[0] for name in provider.files if ".dist-info/" in name)
    assert {name.split("/")[0] for name in provider.files} == {"tencent_kyc", dist_info}
    assert provider.modules == source_modules(PLUGINS / "tencent_kyc", "tencent_kyc")
    for module in provider.modules:
        parts = Path(module).with_suffix("").parts
        assert not TOOL_MODULES & set(parts), f"{module}: a development tool in the provider's wheel"
        assert "tencent_kyc_dev" not in module
    with zipfile.ZipFile(provider.path) as wheel:
        assert wheel.read(f"{dist_info}/top_level.txt").decode().split() == ["tencent_kyc"]
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    assert "tencent_kyc.provider_info:get_provider_info" in entry_points  # still an Airflow provider


def test_the_provider_does_not_require_pillow_or_the_tools(provider: Wheel) -> None:
    requires = provider.requires
    assert "apache-airflow" in requires
    assert "pillow" not in requires
    assert "tencent-kyc-dev" not in requires


def test_the_tools_wheel_holds_the_simulator_the_stack_and_the_demo(tools: Wheel) -> None:
    assert tools.path.name.startswith("tencent_kyc_dev-")
    assert tools.modules == source_modules(TOOLS, "tencent_kyc_dev")
    for module in (
        "tencent_kyc_dev/__init__.py",
        "tencent_kyc_dev/demo.py",
        "tencent_kyc_dev/simulator/__main__.py",
        "tencent_kyc_dev/simulator/seed.py",
        "tencent_kyc_dev/simulator/server.py",
        "tencent_kyc_dev/stack/__init__.py",
        "tencent_kyc_dev/stack/__main__.py",
    ):
        assert module in tools.modules
    assert not [name for name in tools.files if name.startswith("tencent_kyc/")], "the provider is not duplicated"
    assert not [name for name in tools.files if Path(name).name == "pyproject.toml" or name.endswith("pyproject.py")]


def test_the_tools_require_the_provider_and_pillow(tools: Wheel) -> None:
    requires = tools.requires
    assert {"tencent-kyc", "pillow", "requests"} <= set(requires)
    assert all(requires[name].marker is None for name in ("tencent-kyc", "pillow", "requests"))
    assert requires["moto"].marker is not None and "stack" in str(requires["moto"].marker)  # an extra only


def test_airflow_s_plugin_loader_skips_both_packages() -> None:
    """Both are imported as installed packages; the plugins folder's loader must not execute their files
    (simulator/__main__.py would become the process's ``__main__``)."""
    from airflow._shared.module_loading import find_path_from_directory

    assert (TOOLS / "simulator" / "__main__.py").is_file()
    found = [Path(path) for path in find_path_from_directory(str(PLUGINS), ".airflowignore", "glob")]
    assert not [path for path in found if path.suffix == ".py"], found
