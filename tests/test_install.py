"""akhbar as users install it: a wheel, in a fresh virtual environment, run outside the checkout.

The wheel is built from a copy of the package sources (a build in the checkout would leave
``build/`` behind). Its dependencies are the ones this test suite runs with: the fresh
environment sees the project environment's site-packages through a ``.pth`` line, whose own
``.pth`` files (the editable install's path hook into the checkout) Python does not process,
so ``akhbar`` can only come from the wheel; the test checks that it does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.install

REPO_ROOT = Path(__file__).resolve().parents[1]


def run(cmd: list[str | Path], cwd: Path, timeout: float = 300) -> str:
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={k: v for k, v in os.environ.items() if not k.startswith("AKHBAR_")},
    )
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, src / name)
    shutil.copytree(REPO_ROOT / "akhbar", src / "akhbar")  # __pycache__ too, as in a checkout
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, src], cwd=src)
    (built,) = dist.glob("akhbar-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel; returns its ``bin`` directory."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel],
        cwd=env_dir)  # fmt: skip
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    cwd=env_dir).strip())  # fmt: skip
    (site / "zz_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir / "bin"


def test_the_wheel_carries_migrations_type_marker_and_local_web(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "akhbar/py.typed" in names
    assert "akhbar/storage/migrations/env.py" in names
    assert "akhbar/storage/migrations/script.py.mako" in names
    versions = REPO_ROOT / "akhbar" / "storage" / "migrations" / "versions"
    for migration in versions.glob("*.py"):
        assert f"akhbar/storage/migrations/versions/{migration.name}" in names
    assert any(n.startswith("akhbar/localweb/content/") for n in names)
    assert "akhbar/dashboard/schema_descriptions.json" in names  # akhbar serve's descriptions
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "akhbar/crawler/__init__.py" in names
    assert not [n for n in names if "scaled" in n]  # benchmark code stays in the checkout


def test_an_installed_wheel_creates_its_database_and_runs_the_demo(
    installed: Path, tmp_path: Path
) -> None:
    where = run([installed / "python", "-c", "import akhbar; print(akhbar.__file__)"], tmp_path)
    assert where.strip().startswith(str(installed.parent)), where  # the wheel, not the checkout

    db = f"sqlite:///{tmp_path / 'installed.db'}"
    out = run([installed / "akhbar", "--db", db, "db", "upgrade"], tmp_path)
    assert "database at revision" in out, out
    out = run([installed / "akhbar", "--db", db, "db", "check"], tmp_path)
    assert "matches the models" in out, out

    demo_db = f"sqlite:///{tmp_path / 'demo.db'}"
    out = run([installed / "akhbar", "--db", demo_db, "demo", "--fresh"], tmp_path)
    assert "demo database:" in out and "✗" not in out, out
    code = "from akhbar.dashboard.metadata import metadata; print(len(metadata()['databases']))"
    assert run([installed / "python", "-c", code], tmp_path).strip() == "1"


def test_the_scaled_web_says_it_needs_a_checkout(installed: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [installed / "akhbar", "localweb", "--scale", "10"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: the scaled web (localweb --scale) needs a checkout's benchmarks/: it is not "
        "installed with the package"
    ], proc.stderr
