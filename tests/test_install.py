"""The README's editable install works from a clone of any folder name: `git clone <url>` names the folder activa, and
Python started in the folder that holds it must import the installed package, not the clone as a namespace package."""

import re
import shutil
import site
import subprocess
import sys


def test_a_clone_named_activa_installs_and_imports_from_its_parent_folder(root, tmp_path):
    clone = tmp_path / "activa"
    clone.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, clone / name)
    for folder in ("activa", "models"):
        shutil.copytree(root / folder, clone / folder, ignore=shutil.ignore_patterns("__pycache__"))
    # a bare environment that sees this one's packages (the lock's, setuptools among them) but not its activa
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    packages = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"], check=True,
                              capture_output=True, text=True).stdout.strip()
    (tmp_path / packages / "lock.pth").write_text(site.getsitepackages()[0] + "\n")
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                        "--no-build-isolation", "-e", str(clone)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # from the clone's parent folder, as the README's Python example is run (tests/test_pipeline.py)
    r = subprocess.run([str(python), "-c", "import activa; from activa.api import TrainedModel; print(activa.__file__)"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(clone / "activa" / "__init__.py")
    block = re.findall(r"```python\n(.*?)```", (root / "README.md").read_text(), re.S)[0]
    r = subprocess.run([str(python), "-c", block], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "(5.0,) (40, 2) (50,) (50, 2) (50, 2, 2)"
    r = subprocess.run([str(python), "-m", "activa", "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == "activa 0.1.0", r.stderr
