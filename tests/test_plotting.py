"""The per-chapter packages ``backproplab.plotting`` and ``backproplab.widgets``: their
modules mirror ``book/``, the figures are built by plotting functions that run without
ipywidgets, and each demo shows exactly the figure its plotting function builds."""

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import backproplab.plotting
import backproplab.widgets
from backproplab.derivatives import nudge
from backproplab.plotting.common import figure_png
from backproplab.plotting.delta_formulas import NETWORK_STAGES, network_figure
from backproplab.plotting.derivatives import nudge_figure
from backproplab.plotting.vanishing_exploding import gradient_flow_figure

BOOK = Path(__file__).resolve().parents[1] / "book"
PACKAGES = (backproplab.plotting, backproplab.widgets)


def _modules(package) -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(package.__path__))


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_each_module_is_listed_and_names_its_chapter(package):
    listed = re.findall(r"^- ``(\w+)``", package.__doc__, flags=re.MULTILINE)
    assert sorted(listed) == _modules(package), f"{package.__name__}'s docstring lists {listed}"
    chapters = sorted(p.name for p in BOOK.glob("0*.md"))
    named = []
    for name in _modules(package):
        if name == "common":
            continue
        doc = importlib.import_module(f"{package.__name__}.{name}").__doc__
        pages = re.findall(r"book/(0\d-[\w-]+\.md)", doc)
        assert len(pages) == 1, f"{name}'s docstring should name one chapter; it names {pages}"
        assert pages[0].startswith("0") and pages[0][3:-3].replace("-", "_") == name
        named.append(pages[0])
    assert sorted(named) == chapters  # one module per chapter, every chapter covered


def test_plotting_draws_without_ipywidgets():
    code = ("import sys; sys.modules['ipywidgets'] = None\n"
            "import numpy as np\n"
            "from backproplab.plotting.common import figure_png\n"
            "from backproplab.plotting.vanishing_exploding import gradient_flow_figure\n"
            "import backproplab.plotting.chain_rule, backproplab.plotting.delta_formulas\n"
            "import backproplab.plotting.derivatives, backproplab.plotting.gradient_descent\n"
            "fig = gradient_flow_figure('x', np.ones(3), np.ones(5), False)\n"
            "assert figure_png(fig).startswith(b'\\x89PNG')\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_derivative_explorer_shows_the_nudge_figure_of_its_result():
    from backproplab.widgets.derivatives import DerivativeExplorer

    explorer = DerivativeExplorer("w²", w=1.0, eps=0.25)
    assert explorer.result == nudge(lambda w: w ** 2, 1.0, 0.25) and explorer.k == 2.0
    J = lambda w: w ** 2  # noqa: E731 - the same function as the menu's "w²"
    assert figure_png(nudge_figure(J, explorer.result, explorer.k)) == explorer.png


def test_delta_explorer_steps_redraw_without_recomputing_and_show_network_figure():
    from backproplab.widgets.delta_formulas import DeltaExplorer

    explorer = DeltaExplorer(activation="tanh", loss="mse", stage=0)
    cache, grads = explorer.cache, explorer.grads
    for stage in range(len(NETWORK_STAGES)):
        explorer.stage.value = stage
        assert explorer.cache is cache and explorer.grads is grads
        expected = network_figure(explorer.params, cache, explorer.deltas, grads, stage)
        assert figure_png(expected) == explorer.png
    explorer.activation.value = "relu"  # a new choice is computed again
    assert explorer.cache is not cache


def test_gradient_flow_figure_marks_a_diverged_run():
    fig = gradient_flow_figure("relu, he", np.array([1.0, 0.0, np.nan, 2.0]),
                               np.array([2.3, 2.0, 1.5]), True, norms_title="norms",
                               losses_title="losses")
    ax_norms, ax_loss = fig.axes
    assert ax_norms.get_title() == "norms" and ax_loss.get_title() == "losses"
    (shown,) = ax_norms.get_lines()  # zero and NaN norms are left out of the log plot
    assert list(shown.get_xdata()) == [1, 4]
    assert [t.get_text() for t in ax_loss.get_legend().get_texts()] == ["relu, he (diverged)"]
