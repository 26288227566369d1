"""A plain (non-editable) `pip install .` works: prompts ship inside the package, the commands run anywhere."""
import os
import shutil
import site
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from conftest import CORPUS, ROOT
from servers import free_port, wait_http

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A venv seeing the installed dependencies, with this checkout installed into it as a wheel."""
    where = tmp_path_factory.mktemp("venv")
    # Built from a copy of the tracked files: a build leaves nothing in the checkout, and a file that exists
    # here but is not committed cannot make the test pass.
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in tracked.splitlines():
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    # The dependencies are this environment's, seen through a .pth file: `--system-site-packages` would show
    # the base interpreter's when the tests run in a virtual environment. A plain path line runs none of the
    # .pth files there, so this checkout's editable install stays out.
    purelib = subprocess.run([str(where / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    pip = subprocess.run([str(where / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(source)],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr
    return where


def _env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DQA_") and k != "PYTHONPATH"}
    return {**env, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "DQA_LLM_BACKEND": "embedded",
            "DQA_EMBEDDED_MODEL": "smollm2"}


def test_every_data_file_of_the_checkout_is_installed(venv):
    """Every module, template, UI string, word list and prompt of the checkout must be in the wheel."""
    tracked = subprocess.run(["git", "ls-files", "rag", "prompts"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    wanted = {p.replace("prompts/", "rag/prompts/", 1) for p in tracked}
    where = "import rag, pathlib; print(pathlib.Path(rag.__file__).parent)"
    site = subprocess.run([str(venv / "bin" / "python"), "-c", where], capture_output=True, text=True, check=True,
                          cwd="/").stdout.strip()
    installed = {f"rag/{p.relative_to(site)}" for p in Path(site).rglob("*") if p.is_file()}
    assert wanted and wanted <= installed, sorted(wanted - installed)


def test_installed_package_ingests_answers_and_serves(venv, tmp_path):
    elsewhere = tmp_path / "work"  # not the checkout: nothing may come from the repository folder
    elsewhere.mkdir()
    shutil.copy(CORPUS / "2025-03-13-drones-briansk.fr.txt", elsewhere)
    cli = str(venv / "bin" / "dispatch-qa")
    env = _env(tmp_path)

    def run(*args):
        return subprocess.run([cli, *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600)

    where = run("stats")
    assert where.returncode == 0, where.stderr
    assert str(tmp_path / "data" / "dispatch-qa" / "index") in where.stdout  # the user's data folder
    ingest = run("ingest", ".")
    assert ingest.returncode == 0 and "1 added" in ingest.stdout, ingest.stderr
    ask = run("ask", "Combien de drones ont été abattus au-dessus de Briansk ?")
    assert ask.returncode == 0 and "[1]" in ask.stdout and "compté 30" in ask.stdout, ask.stderr
    probe = subprocess.run([str(venv / "bin" / "python"), "-c", "import rag; print(rag.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True)
    assert str(venv) in probe.stdout  # the installed copy answered, not the checkout

    port = free_port()
    with open(tmp_path / "serve.log", "w") as log:
        serve = subprocess.Popen([cli, "serve"], cwd=elsewhere, env={**env, "DQA_UI_PORT": str(port)},
                                 stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                wait_http(f"http://127.0.0.1:{port}/", serve, timeout=180)
            except RuntimeError as e:
                raise AssertionError((tmp_path / "serve.log").read_text()[-3000:]) from e
            page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
            assert "Dispatch QA" in page
        finally:
            serve.terminate()
            serve.wait(30)
