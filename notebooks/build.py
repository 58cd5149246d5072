"""Re-execute the notebooks in place, so the committed copies carry fresh outputs.

Usage (from the repository root)::

    .venv/bin/python notebooks/build.py            # all three, each on its own
    .venv/bin/python notebooks/build.py 02         # the ones whose name starts with 02

Each notebook runs in a fresh kernel of *this* Python (the virtualenv's, whatever
kernels Jupyter knows about elsewhere), in a temporary working folder that is removed
afterwards: the notebooks make their own data and home and never write into the
repository. ``tests/test_notebooks.py`` uses :func:`execute` too, with parameters.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
NOTEBOOKS = (
    "01_data_scientist_retrain.ipynb",
    "02_compliance_reviewer.ipynb",
    "03_serving_system.ipynb",
)
KERNEL = "python3"
#: Seconds a single cell may take before the run is abandoned.
CELL_TIMEOUT = 900


def _kernel_dirs(folder: Path) -> list[str]:
    """A private ``python3`` kernelspec that runs this interpreter.

    A ``python3`` kernelspec installed for the user (``~/.local/share/jupyter``) may
    point at another Python without the package; this one always runs ``sys.executable``.
    """
    from ipykernel.kernelspec import write_kernel_spec

    kernels = folder / "kernels"
    write_kernel_spec(kernels / KERNEL, overrides={"display_name": "Python 3 (sanitizer)"})
    return [str(kernels)]


def _parameter_cell(parameters: Mapping[str, object]):
    lines = ["# Injected parameters"]
    lines += [f"{name} = {value!r}" for name, value in parameters.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    return cell


def inject(notebook, parameters: Mapping[str, object]):
    """Insert a cell setting ``parameters`` after the cell tagged ``parameters``."""
    if not parameters:
        return notebook
    for index, cell in enumerate(notebook.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            notebook.cells.insert(index + 1, _parameter_cell(parameters))
            return notebook
    raise ValueError("the notebook has no cell tagged 'parameters'")


def execute(
    path: Path | str,
    parameters: Mapping[str, object] | None = None,
    workdir: Path | str | None = None,
):
    """Execute a notebook in a fresh kernel; returns the executed notebook (not saved).

    Parameters
    ----------
    path : path
        The ``.ipynb`` file.
    parameters : mapping, optional
        Values overriding the notebook's parameters cell (a cell is injected after it).
    workdir : path, optional
        The kernel's working folder and ``TMPDIR``, so the temporary folders a notebook
        makes land there (default: a temporary folder, removed afterwards). The kernel's
        connection file and IPython profile go to a temporary folder too.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        A cell raised; the message shows the cell and the traceback.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    notebook = inject(nbformat.read(path, as_version=4), parameters or {})
    with tempfile.TemporaryDirectory(prefix="sanitizer-notebook-") as tmp:
        cwd = Path(workdir) if workdir is not None else Path(tmp) / "work"
        cwd.mkdir(parents=True, exist_ok=True)
        specs = KernelSpecManager(kernel_dirs=_kernel_dirs(Path(tmp)), ensure_native_kernel=False)
        manager = KernelManager(
            kernel_name=KERNEL,
            kernel_spec_manager=specs,
            connection_file=str(Path(tmp) / "kernel.json"),
        )
        client = NotebookClient(
            notebook,
            km=manager,
            kernel_name=KERNEL,
            timeout=CELL_TIMEOUT,
            resources={"metadata": {"path": str(cwd)}},
        )
        # IPython's history and profile go to the temporary folder, not the user's home
        env = {**os.environ, "TMPDIR": str(cwd), "IPYTHONDIR": str(Path(tmp) / "ipython")}
        client.execute(env=env)
    return notebook


def output_text(notebook) -> str:
    """Every stream and ``text/plain`` output of the notebook, joined (for assertions).

    A cell's consecutive stream outputs are concatenated as they are: the kernel may send
    one ``print`` in several messages when it flushes mid-line (seen under load: a test
    read "original:" and " ok" on two lines).
    """
    parts = []
    for cell in notebook.cells:
        streaming = False
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                if streaming:
                    parts[-1] += output.get("text", "")
                else:
                    parts.append(output.get("text", ""))
                streaming = True
                continue
            streaming = False
            if "data" in output:
                parts.append(output["data"].get("text/plain", ""))
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    """Execute the chosen notebooks (all by default) and store them with their outputs."""
    chosen = [n for n in NOTEBOOKS if not argv or any(n.startswith(a) for a in argv)]
    if not chosen:
        print(f"no notebook matches {argv}; expected a prefix of {', '.join(NOTEBOOKS)}")
        return 2
    timings = {}
    for name in chosen:
        path = HERE / name
        started = time.perf_counter()
        print(f"executing {name} …", flush=True)
        notebook = execute(path)
        nbformat.write(notebook, path)
        timings[name] = round(time.perf_counter() - started, 1)
        print(f"  {timings[name]} s", flush=True)
    print(json.dumps({"seconds": timings}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
