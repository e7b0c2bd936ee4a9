"""Homework answers, right and wrong, run through the graded cells (without nbgrader).

Each case replaces answer cells of an instructor notebook (solutions/) and runs it in a
fresh kernel; the test cells that must fail, fail with the expected message, and the others
pass. The end-to-end nbgrader run is in test_grading_e2e.py; this covers more answers.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
HW02 = ROOT / "solutions" / "hw02" / "hw02-chain-rule.ipynb"
HW03 = ROOT / "solutions" / "hw03" / "hw03-delta-formulas.ipynb"
HW04 = ROOT / "solutions" / "hw04" / "hw04-gradient-descent.ipynb"
HW05 = ROOT / "solutions" / "hw05" / "hw05-vanishing-exploding.ipynb"

# Typical slips in homework 2: the inner derivative of tanh, the quotient rule, the second
# path of a node used twice, a number instead of a graph, and the chain rule's last factor.
WRONG_HW02 = {
    "q1_answer": ("d_tanh = 1 - sp.tanh(z)\n"
                  "d_sigmoid = sp.exp(-z) / (1 + sp.exp(-z)) ** 2\n"
                  "d_div_v = -u / v\n"),
    "q2_answer": ('grads = {"J": 1.0}\n'
                  'grads["d"] = 2 * (-8.0) * grads["J"]\n'
                  'grads["c"] = 1.0 * grads["d"]\n'
                  'grads["x"] = -2.0 * grads["c"]\n'
                  'grads["y"] = 3.0 * grads["c"]\n'),
    "q3_answer": ("def tanh_from_exp(z):\n"
                  "    return Value(math.tanh(z.data))\n"),
    "q4_answer": "dJ_dw = 2 * (sp.tanh(w * x + b) - y) * x\n",
}

LAZY_HW03 = {
    "q1_answer": ("from backproplab.mlp import hidden_delta as reference\n"
                  "def hidden_delta(delta, W, z_prev, f_prime):\n"
                  "    return reference(delta, W, z_prev, 'identity') * f_prime(z_prev)\n"),
    "q2_answer": ("from backproplab import mlp\n"
                  "def weight_and_bias_gradients(a_prev, delta):\n"
                  "    return mlp.weight_gradient(a_prev, delta), mlp.bias_gradient(delta)\n"),
    "q3_answer": ("from backproplab.mlp import backward\n"
                  "def backprop(params, X, Y):\n"
                  "    cache = forward(params, X, 'sigmoid', 'softmax')\n"
                  "    return backward(params, cache, Y, 'cross_entropy', 'sigmoid', 'softmax')\n"),
}
MISSING_F_PRIME = {
    "q3_answer": ("def backprop(params, X, Y):\n"
                  "    cache = forward(params, X, hidden='sigmoid', output='softmax')\n"
                  "    delta = (cache.a[-1] - Y) / X.shape[0]\n"
                  "    grads = []\n"
                  "    for l in range(len(params), 0, -1):\n"
                  "        dW, db = weight_and_bias_gradients(cache.a[l - 1], delta)\n"
                  "        grads.insert(0, {'W': dW, 'b': db})\n"
                  "        if l > 1:\n"
                  "            delta = delta @ params[l - 1]['W'].T\n"
                  "    return grads\n"),
    "q4_answer": "delta_out = sp.tanh(z) - y\n",
}

HW02_CASES = {
    "reference solution": ({}, {}),
    "typical slips": (WRONG_HW02, {
        "q1_test_tanh": "not equivalent to the correct expression",
        "q1_test_div": "not equivalent to the correct expression",
        "q2_test": "y feeds two nodes",
        "q3_test": "so that backward can reach z",
        "q4_test": "not equivalent to the correct expression",
    }),
}

HW03_CASES = {
    "reference solution": ({}, {}),
    "calls the package's reference implementation": (LAZY_HW03, {
        "q1_test": "reference implementation backproplab.mlp.hidden_delta",
        "q2_test": "reference implementation backproplab.mlp.weight_gradient",
        "q3_test": "reference implementation backproplab.mlp.backward",
    }),
    "forgets f'(z) and the tanh derivative": (MISSING_F_PRIME, {
        "q3_test": "missing the factor f′(z_prev)",
        "q4_test": "not equivalent to the correct expression",
    }),
}


# Homework 4: the package's optimizers called instead of written; typical slips in the
# mini-batches (no shuffle, last batch dropped), momentum (Polyak's sign convention for v),
# Adam (no bias correction) and an experiment answered without running it.
LAZY_HW04 = {
    "q1_answer": ("from backproplab.optimizers import minibatches\n"
                  "def batches(n, batch_size, rng):\n"
                  "    return list(minibatches(n, batch_size, rng))\n"),
    "q2_answer": ("from backproplab.optimizers import Momentum\n"
                  "def momentum_step(w, g, v, lr, beta):\n"
                  "    opt = Momentum(lr, beta=beta)\n"
                  "    return opt.step(w, g), beta * v + g\n"),
    "q3_answer": ("from backproplab import optimizers\n"
                  "def adam_step(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):\n"
                  "    opt = optimizers.Adam(lr, beta1, beta2, eps)\n"
                  "    return opt.step(w, g), m, v\n"),
}
SLIPS_HW04 = {
    "q1_answer": ("def batches(n, batch_size, rng):\n"
                  "    order = np.arange(n)\n"
                  "    return [order[i:i + batch_size] for i in range(0, n - batch_size + 1, batch_size)]\n"),
    "q2_answer": ("def momentum_step(w, g, v, lr, beta):\n"
                  "    v = beta * v - lr * g\n"
                  "    return w + v, v\n"),
    "q3_answer": ("def adam_step(w, g, m, v, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):\n"
                  "    m = beta1 * m + (1 - beta1) * g\n"
                  "    v = beta2 * v + (1 - beta2) * g ** 2\n"
                  "    return w - lr * m / (np.sqrt(v) + eps), m, v\n"),
    "q4_answer": "largest_lr_sgd = 0.035\nlargest_lr_momentum = 0.035\n",
}
UNSHUFFLED_HW04 = {
    "q1_answer": ("def batches(n, batch_size, rng):\n"
                  "    return [np.arange(n)[i:i + batch_size] for i in range(0, n, batch_size)]\n"),
    "q2_answer": ("def momentum_step(w, g, v, lr, beta):\n"
                  "    v *= beta\n"
                  "    v += g\n"
                  "    w -= lr * v\n"
                  "    return w, v\n"),
    "q4_answer": "largest_lr_sgd = 0.04\nlargest_lr_momentum = 0.07\n",
}

HW04_CASES = {
    "reference solution": ({}, {}),
    "calls the package's optimizers": (LAZY_HW04, {
        "q1_test": "reference implementation backproplab.optimizers.minibatches",
        "q2_test": "reference implementation backproplab.optimizers.Momentum",
        "q3_test": "reference implementation backproplab.optimizers.Adam",
    }),
    "typical slips": (SLIPS_HW04, {
        "q1_test": "should give batches of sizes [4, 4, 2]",
        "q2_test": "v after the first step is wrong",
        "q3_test": "did you divide m and v by 1 - beta^t?",
        "q4_test": "re-running the experiment gives 0.07",
    }),
    "no shuffle, in-place momentum, an untried guess": (UNSHUFFLED_HW04, {
        "q1_test": "should be shuffled with rng",
        "q2_test": "do not change w in place",
        "q4_test": "should be one of the candidates",
    }),
}

def run_with_answers(path: Path, answers: dict[str, str]) -> dict[str, str | None]:
    """Run the notebook with some answer cells replaced; each test cell's error (or None)."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    NotebookClient(nb, timeout=300, allow_errors=True, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    results = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            errors = [o for o in cell.outputs if o.output_type == "error"]
            results[meta["grade_id"]] = f"{errors[0].ename}: {errors[0].evalue}" if errors else None
    return results


# Homework 5: copying the package's measurement, listing the layers backwards, batch norm
# differentiated with the batch mean and variance held fixed, and initial weight scales that
# are too small or too large.
LAZY_HW05 = {
    "q1_answer": ("from backproplab.deepnets import gradient_norms\n"
                  "def layer_gradient_norms(params, X, Y, hidden):\n"
                  "    return gradient_norms(params, X, Y, hidden=hidden)\n"),
}
WRONG_HW05 = {
    "q1_answer": ("def layer_gradient_norms(params, X, Y, hidden):\n"
                  "    _, grads = loss_and_gradients(params, X, Y, hidden=hidden,\n"
                  "                                  output='softmax', loss='cross_entropy')\n"
                  "    return np.array([np.linalg.norm(g['W']) for g in grads[::-1]])\n"),
    "q2_answer": ("dxhat1_dx1 = 1 / sp.sqrt(((x1 - x2) / 2) ** 2 + eps)\n"
                  "dxhat1_dx2 = sp.Integer(0)\n"
                  "total = dxhat1_dx1\n"),
    "q3_answer": "weight_std = 0.02\n",
}
EXPLODING_HW05 = {"q3_answer": "weight_std = 3.0\n"}
HW05_CASES = {
    "reference solution": ({}, {}),
    "calls the package's reference implementation": (LAZY_HW05, {
        "q1_test": "reference implementation backproplab.deepnets.gradient_norms",
    }),
    "typical slips": (WRONG_HW05, {
        "q1_test": "lists the layers backwards",
        "q2_test": "treats the batch mean and variance as constants",
        "q3_test": "not below 1.",
    }),
    "a scale so large that tanh saturates": (EXPLODING_HW05, {"q3_test": "not below 1."}),
}

NOTEBOOKS = {"hw02": (HW02, HW02_CASES), "hw03": (HW03, HW03_CASES),
             "hw04": (HW04, HW04_CASES), "hw05": (HW05, HW05_CASES)}


@pytest.mark.parametrize("homework, case", [(hw, case) for hw, (_, cases) in NOTEBOOKS.items()
                                            for case in cases])
def test_answers(homework, case):
    path, cases = NOTEBOOKS[homework]
    answers, failures = cases[case]
    results = run_with_answers(path, answers)
    assert set(failures) <= set(results)
    for grade_id, error in results.items():
        if grade_id in failures:
            assert error and failures[grade_id] in error, f"{grade_id}: {error}"
        else:
            assert error is None, f"{grade_id} should pass for '{case}' but: {error}"
