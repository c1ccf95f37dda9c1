"""``notebook_setup`` resolves a notebook's paths as the repository's and hands them back,
without changing the working directory or the environment of the kernel."""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
import pandas as pd

from aeutils.cli.notebook import REPO_ROOT, notebook_setup, repo_path


def test_setup_passes_its_paths_explicitly(tmp_path, monkeypatch, synthetic_folder):
    monkeypatch.chdir(tmp_path)  # a kernel started elsewhere (JupyterLab: notebooks/)
    monkeypatch.delenv("AEUTILS_FIGURES", raising=False)
    monkeypatch.setenv("AEUTILS_RESULTS", "build/setup-test/results.jsonl")
    figures = tmp_path / "figs"
    notebook_setup("99_setup", "smoke", ["mnist"], figures, load=False)  # imports torch & co.
    before = dict(os.environ)
    nb = notebook_setup("99_setup", "smoke", [f"mnist=folder:{synthetic_folder}"], figures,
                        load=False)
    assert os.getcwd() == str(tmp_path) and dict(os.environ) == before
    assert nb.figures == figures and nb.datasets == {"mnist": f"folder:{synthetic_folder}"}
    assert nb.store.path == REPO_ROOT / "build" / "setup-test" / "results.jsonl"
    assert repo_path("figures") == REPO_ROOT / "figures" and repo_path(tmp_path) == tmp_path

    fig = plt.figure(figsize=(2, 2))
    nb.save(fig, "99_figure", data="synthetic")
    nb.export_table(pd.DataFrame({"a": [1.0]}), "99_table", caption="A table.")
    assert (figures / "99_figure.png").exists() and (figures / "MANIFEST.json").exists()
    assert (figures / "tables" / "99_table.md").read_text().startswith("A table.")
    assert not (tmp_path / "figures").exists()
