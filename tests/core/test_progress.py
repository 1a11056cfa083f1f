"""The progress bars (dmlvae.core.progress): tqdm.auto's bar, imported without its warning in a kernel that lacks
ipywidgets."""

import subprocess
import sys

# a Jupyter kernel's process (ipykernel's shell imported), where tqdm.auto looks for ipywidgets and warns without it
KERNEL = (
    "import importlib, warnings, ipykernel.zmqshell\n"
    "with warnings.catch_warnings(record=True) as caught:\n"
    "    warnings.simplefilter('always')\n"
    "    importlib.import_module({module!r})\n"
    "print(sorted({{type(w.message).__name__ for w in caught}}))\n"
)


def _warnings_on_import(module: str) -> str:
    out = subprocess.run([sys.executable, "-c", KERNEL.format(module=module)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_importing_the_bars_in_a_kernel_warns_nothing_where_tqdm_auto_warns():
    assert _warnings_on_import("tqdm.auto") == "['TqdmWarning']"  # what a plain import does there
    assert _warnings_on_import("dmlvae.core.progress") == "[]"


def test_the_bar_is_tqdm_autos():
    from tqdm import auto

    from dmlvae.core import progress

    assert progress.tqdm is auto.tqdm
