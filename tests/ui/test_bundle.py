"""The dashboard's built assets are what its sources build, and nothing on its pages comes from another host.

``plugins/tencent_kyc/ui/static/`` (shipped in the provider's wheel) is built from ``ui/frontend/`` (which is
not shipped) with ``npm ci && npm run build``. The rebuild runs in a temporary copy of the sources (never in the
worktree, whose ``node_modules`` may be anything) and must give the committed files byte for byte: a change to
the sources without a rebuild, a rebuild without its sources, or a build that is not deterministic fails here.
Node.js and npm are required: the test fails, never skips, without them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UI = REPO / "plugins" / "tencent_kyc" / "ui"
FRONTEND, STATIC, PAGES = UI / "frontend", UI / "static", UI / "pages"
BUILT = ("dashboard.js", "dashboard.css")
REBUILD = "cd plugins/tencent_kyc/ui/frontend && npm ci && npm run build"
#: A URL with a host: an absolute http(s) address, or a protocol-relative one in an attribute or CSS url().
HOSTED = re.compile(r"https?://|(?:src|href|action)\s*=\s*[\"']?//|url\(\s*[\"']?//|@import", re.IGNORECASE)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: the dashboard's assets are built with Node.js 20+ and npm ({REBUILD})")
    return found


def _run(command: list[str], cwd: Path) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(command)} failed in {cwd}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def frontend_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the front-end sources with their locked packages installed (``npm ci``), beside an empty
    ``static/`` (the build writes ``../static``)."""
    npm = _tool("npm")
    node = _tool("node")
    version = _run([node, "--version"], REPO).strip()
    assert int(version.lstrip("v").split(".")[0]) >= 20, f"Node.js 20 or later is needed, found {version}"
    root = tmp_path_factory.mktemp("ui")
    copy = root / "frontend"
    shutil.copytree(FRONTEND, copy, ignore=shutil.ignore_patterns("node_modules", "*.png"))
    (root / "static").mkdir()
    _run([npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"], copy)
    return copy


@pytest.mark.slow
def test_the_committed_assets_are_what_the_sources_build(frontend_copy: Path) -> None:
    _run([_tool("npm"), "run", "build"], frontend_copy)
    built = frontend_copy.parent / "static"
    assert sorted(path.name for path in built.iterdir()) == sorted(BUILT), "the build writes exactly the assets"
    for name in BUILT:
        assert (STATIC / name).is_file(), f"static/{name} is not committed: run `{REBUILD}` and commit it"
        assert (built / name).read_bytes() == (STATIC / name).read_bytes(), (
            f"static/{name} is not what the front-end sources build: run `{REBUILD}` and commit the result"
        )


@pytest.mark.slow
def test_the_sources_type_check(frontend_copy: Path) -> None:
    _run([_tool("npm"), "run", "check"], frontend_copy)


def test_the_app_serves_exactly_the_built_assets() -> None:
    from tencent_kyc.ui.app import ASSETS

    assert set(ASSETS) == set(BUILT)
    assert {path.name for path in STATIC.iterdir()} == set(BUILT), "static/ holds the built assets only"
    assert (FRONTEND / "package-lock.json").is_file(), "the lock file makes the build reproducible: commit it"


@pytest.mark.parametrize("name", ["index.html", "run.html"])
def test_the_pages_load_the_bundle_only(name: str) -> None:
    page = (PAGES / name).read_text(encoding="utf-8")
    loaded = re.findall(r"<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*\"([^\"]*)\"", page)
    assert sorted(loaded) == ["static/dashboard.css", "static/dashboard.js"]
    assert "<style" not in page and "<iframe" not in page and "<img" not in page
    assert page.count("<script") == 1, "no inline script: everything is in the bundle"


@pytest.mark.parametrize("path", [*(f"static/{name}" for name in BUILT), "pages/index.html", "pages/run.html"])
def test_nothing_is_loaded_from_another_host(path: str) -> None:
    text = (UI / path).read_text(encoding="utf-8")
    found = sorted({text[max(0, m.start() - 40) : m.end() + 40] for m in HOSTED.finditer(text)})
    assert not found, f"{path} names another host or imports a stylesheet (no CDN at run time): {found}"
