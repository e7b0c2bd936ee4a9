"""Shortcut submissions of homework 3 (``solutions/hw03``): ways to pass without understanding.

Used by ``test_homework_shortcuts.py`` (graded by the real grader; each shortcut must earn
at most 2 of the 10 autograded points) and by ``test_hw03.py``.

- ``SHORTCUTS``: ``{name: (what it models, {answer grade_id: whole cell source})}``;
- ``concrete_answers(variant)``: the correct answers a student writes for *that* variant,
  numbers typed in (never ``variant.``), used as another student's answers.
"""

from __future__ import annotations

# The chapter's displayed hidden_delta, weight_gradient, bias_gradient and backward
# (src/backproplab/mlp.py), pasted and adapted as little as possible: the package's f' of
# the layer's activation, the chapter's output delta (y_hat - y)/m of sigmoid/softmax with
# cross-entropy, no penalty.
PASTED_CHAPTER = {
    "q1_answer": (
        "from backproplab.activations import get_hidden_activation\n"
        "def hidden_delta(delta, W, a_hidden, layer):\n"
        "    return (delta @ W.T) * get_hidden_activation(variant.hidden[layer - 1]).df(a_hidden)\n"),
    "q2_answer": (
        "def weight_and_bias_gradients(a_prev, delta, W):\n"
        "    return a_prev.T @ delta, delta.sum(axis=0)\n"),
    "q3_answer": "delta_out = y_hat - y\n",
    "q4_answer": (
        "def backprop(params, X, Y):\n"
        "    z, a = variant.forward(params, X)\n"
        "    L = len(params)\n"
        "    grads = [None] * L\n"
        "    delta = (a[L] - Y) / len(X)\n"
        "    for l in range(L, 0, -1):\n"
        "        grads[l - 1] = {'W': a[l - 1].T @ delta, 'b': delta.sum(axis=0)}\n"
        "        if l > 1:\n"
        "            delta = (delta @ params[l - 1]['W'].T) * (a[l - 1] > 0)\n"
        "    return grads\n"),
}

# The activation's derivative and the loss's derivative each by one sp.diff, used where the
# question needs them (f' evaluated at what the function is given; dl/dy_hat, or dl/dz).
_SYMPY_ACTIVATION = (
    "zs = sp.Symbol('zs')\n"
    "def _f_expr(name):\n"
    "    if name == 'leaky_relu':\n"
    "        return sp.Piecewise((zs, zs > 0), (variant.leak * zs, True))\n"
    "    if name == 'elu':\n"
    "        return sp.Piecewise((zs, zs > 0), (variant.alpha * (sp.exp(zs) - 1), True))\n"
    "    return sp.log(1 + sp.exp(variant.beta * zs)) / variant.beta\n"
)
_SYMPY_LOSS = (
    "r = y_hat - y\n"
    "c = variant.loss_constant\n"
    "ell = {'squared': r**2 / 2,\n"
    "       'pseudo_huber': (c**2 * (sp.sqrt(1 + (r / c)**2) - 1)) if c else None,\n"
    "       'log_cosh': (c**2 * sp.log(sp.cosh(r / c))) if c else None}[variant.loss_name]\n"
)
ONE_SP_DIFF = {
    "q1_answer": (
        _SYMPY_ACTIVATION
        + "def hidden_delta(delta, W, a_hidden, layer):\n"
          "    f_prime = sp.lambdify(zs, sp.diff(_f_expr(variant.hidden[layer - 1]), zs), 'numpy')\n"
          "    return (delta @ W.T) * f_prime(a_hidden)\n"),
    "q3_answer": _SYMPY_LOSS + "delta_out = sp.diff(ell, y_hat)\n",
}
ONE_SP_DIFF_IN_Z = {
    "q3_answer": (
        _SYMPY_LOSS
        + "zs = sp.Symbol('z')\n"
          "out = {'sigmoid': 1 / (1 + sp.exp(-zs)), 'tanh': sp.tanh(zs),\n"
          "       'softplus': sp.log(1 + sp.exp(variant.beta * zs)) / variant.beta}[variant.output]\n"
          "delta_out = sp.diff(ell.subs(y_hat, out), zs)\n"),
}

# What the visible tests' messages say, followed literally: "delta_out should be 0 when
# y_hat = y", "should have shape ...", "a pair (dW, db)", "a list of three dicts".
VISIBLE_MESSAGES = {
    "q1_answer": (
        "def hidden_delta(delta, W, a_hidden, layer):\n"
        "    return np.zeros_like(a_hidden, dtype=float)\n"),
    "q2_answer": (
        "def weight_and_bias_gradients(a_prev, delta, W):\n"
        "    return np.zeros_like(W, dtype=float), np.zeros(W.shape[1])\n"),
    "q3_answer": "delta_out = (y_hat - y) * variant.lam\n",
    "q4_answer": (
        "def backprop(params, X, Y):\n"
        "    return [{'W': np.zeros_like(p['W']), 'b': np.zeros_like(p['b'])} for p in params]\n"),
}

# The package's reference implementations called (call_without_reference replaces them).
CALLS_PACKAGE = {
    "q1_answer": (
        "from backproplab.mlp import hidden_delta as _hd\n"
        "def hidden_delta(delta, W, a_hidden, layer):\n"
        "    return _hd(delta, W, a_hidden, 'relu')\n"),
    "q2_answer": (
        "from backproplab.mlp import bias_gradient, weight_gradient\n"
        "def weight_and_bias_gradients(a_prev, delta, W):\n"
        "    return weight_gradient(a_prev, delta) + variant.lam * W, bias_gradient(delta)\n"),
    "q4_answer": (
        "from backproplab.gradcheck import numerical_gradients\n"
        "def backprop(params, X, Y):\n"
        "    return numerical_gradients(lambda p: variant.loss(p, X, Y), params)\n"),
}

# The package's gradient of an L2 penalty, g + lam * W (backproplab.optimizers.l2_gradient),
# called for q2's penalty term; the data term written by hand. The q2 test refuses it too.
CALLS_L2_GRADIENT = {
    "q2_answer": (
        "from backproplab.optimizers import l2_gradient\n"
        "def weight_and_bias_gradients(a_prev, delta, W):\n"
        "    return l2_gradient(W, a_prev.T @ delta, variant.lam), delta.sum(axis=0)\n"),
}

# Finite differences instead of derivatives: f' of each activation numerically (from z
# recovered by inverting f), and the whole backward pass by central differences of
# variant.loss, written by hand (numerical_gradients is refused). The visible tests'
# tolerance lets them pass; the hidden tests' precision and kinks do not.
NUMERICAL = {
    "q1_answer": (
        "def _z_from_a(a, name):\n"
        "    if name == 'leaky_relu':\n"
        "        return np.where(a > 0, a, a / variant.leak)\n"
        "    if name == 'elu':\n"
        "        return np.where(a > 0, a, np.log1p(np.maximum(a / variant.alpha, -1 + 1e-300)))\n"
        "    return np.log(np.expm1(variant.beta * a)) / variant.beta\n"
        "def hidden_delta(delta, W, a_hidden, layer):\n"
        "    z = _z_from_a(np.asarray(a_hidden, dtype=float), variant.hidden[layer - 1])\n"
        "    h = 1e-5\n"
        "    slope = (variant.activate(z + h, layer) - variant.activate(z - h, layer)) / (2 * h)\n"
        "    return (delta @ W.T) * slope\n"),
    "q4_answer": (
        "def backprop(params, X, Y):\n"
        "    work = [{k: np.array(v, dtype=float) for k, v in p.items()} for p in params]\n"
        "    grads = []\n"
        "    for p in work:\n"
        "        g = {}\n"
        "        for k, arr in p.items():\n"
        "            d = np.zeros_like(arr)\n"
        "            for i in np.ndindex(arr.shape):\n"
        "                old = arr[i]\n"
        "                arr[i] = old + 1e-5\n"
        "                up = variant.loss(work, X, Y)\n"
        "                arr[i] = old - 1e-5\n"
        "                down = variant.loss(work, X, Y)\n"
        "                arr[i] = old\n"
        "                d[i] = (up - down) / 2e-5\n"
        "            g[k] = d\n"
        "        grads.append(g)\n"
        "    return grads\n"),
}

# The chapter's f'(z) formulas, evaluated at the activations a that question 1 passes (the
# classic slip of mixing up z and a), with the penalty added correctly.
F_PRIME_OF_A = {
    "q1_answer": (
        "def hidden_delta(delta, W, a_hidden, layer):\n"
        "    name = variant.hidden[layer - 1]\n"
        "    a = a_hidden\n"
        "    if name == 'leaky_relu':\n"
        "        slope = np.where(a > 0, 1.0, variant.leak)\n"
        "    elif name == 'elu':\n"
        "        slope = np.where(a > 0, 1.0, variant.alpha * np.exp(a))\n"
        "    else:\n"
        "        slope = 1 / (1 + np.exp(-variant.beta * a))\n"
        "    return (delta @ W.T) * slope\n"),
    "q2_answer": (
        "def weight_and_bias_gradients(a_prev, delta, W):\n"
        "    return a_prev.T @ delta + variant.lam * W, delta.sum(axis=0) + variant.lam\n"),
}

# Forward passes written with torch tensors and the derivatives left to PyTorch's autograd:
# f' from z recovered by inverting f (q1), the layer's loss (q2) and the whole loss (q4)
# differentiated by .backward(). The tests of q1, q2 and q4 hide torch's autograd.
_TORCH_F = (
    "import torch\n"
    "def _f_t(z, name):\n"
    "    if name == 'leaky_relu':\n"
    "        return torch.where(z > 0, z, variant.leak * z)\n"
    "    if name == 'elu':\n"
    "        return torch.where(z > 0, z, variant.alpha * torch.expm1(torch.clamp(z, max=0)))\n"
    "    if name == 'softplus':\n"
    "        return torch.nn.functional.softplus(variant.beta * z) / variant.beta\n"
    "    return torch.sigmoid(z) if name == 'sigmoid' else torch.tanh(z)\n")
TORCH_AUTOGRAD = {
    "q1_answer": (
        _TORCH_F
        + "def hidden_delta(delta, W, a_hidden, layer):\n"
          "    name, a = variant.hidden[layer - 1], np.asarray(a_hidden, dtype=float)\n"
          "    if name == 'leaky_relu':\n"
          "        z = np.where(a > 0, a, a / variant.leak)\n"
          "    elif name == 'elu':\n"
          "        z = np.where(a > 0, a, np.log1p(np.maximum(a / variant.alpha, -1 + 1e-300)))\n"
          "    else:\n"
          "        z = np.log(np.expm1(variant.beta * a)) / variant.beta\n"
          "    z_t = torch.tensor(z, requires_grad=True)\n"
          "    _f_t(z_t, name).sum().backward()\n"
          "    return (delta @ W.T) * z_t.grad.numpy()\n"),
    "q2_answer": (
        "import torch\n"
        "def weight_and_bias_gradients(a_prev, delta, W):\n"
        "    W_t = torch.tensor(np.asarray(W, dtype=float), requires_grad=True)\n"
        "    b_t = torch.zeros(np.shape(delta)[1], dtype=torch.float64, requires_grad=True)\n"
        "    loss = ((torch.tensor(a_prev) @ W_t + b_t) * torch.tensor(delta)).sum()\n"
        "    (loss + variant.lam / 2 * (W_t ** 2).sum()).backward()\n"
        "    return W_t.grad.numpy(), b_t.grad.numpy()\n"),
    "q4_answer": (
        _TORCH_F
        + "def backprop(params, X, Y):\n"
          "    P = [{k: torch.tensor(np.asarray(v, dtype=float), requires_grad=True) for k, v in p.items()}\n"
          "         for p in params]\n"
          "    a = torch.tensor(np.asarray(X, dtype=float))\n"
          "    for layer, p in enumerate(P, start=1):\n"
          "        name = variant.hidden[layer - 1] if layer < 3 else variant.output\n"
          "        a = _f_t(a @ p['W'] + p['b'], name)\n"
          "    r, c = a - torch.tensor(np.asarray(Y, dtype=float)), variant.loss_constant\n"
          "    if variant.loss_name == 'squared':\n"
          "        terms = r ** 2 / 2\n"
          "    elif variant.loss_name == 'pseudo_huber':\n"
          "        terms = c * c * (torch.sqrt(1 + (r / c) ** 2) - 1)\n"
          "    else:\n"
          "        terms = c * c * torch.log(torch.cosh(r / c))\n"
          "    loss = terms.sum() / len(X) + variant.lam / 2 * sum((p['W'] ** 2).sum() for p in P)\n"
          "    loss.backward()\n"
          "    return [{k: v.grad.numpy() for k, v in p.items()} for p in P]\n"),
}

SHORTCUTS = {
    "pasted_chapter": ("the chapter's hidden_delta, weight_gradient, bias_gradient and "
                       "backward pasted, adapted minimally", PASTED_CHAPTER),
    "one_sp_diff": ("one sp.diff per derivation (f' of the activation, dl/dy_hat)",
                    ONE_SP_DIFF),
    "one_sp_diff_in_z": ("the output delta as one sp.diff of l(f(z), y) in z",
                         ONE_SP_DIFF_IN_Z),
    "visible_messages": ("answers that follow the visible tests' messages literally "
                         "(shapes, zero at y_hat = y)", VISIBLE_MESSAGES),
    "calls_package": ("the package's reference implementations (and numerical_gradients) "
                      "called", CALLS_PACKAGE),
    "calls_l2_gradient": ("the package's L2-penalty gradient (optimizers.l2_gradient) called "
                          "for q2's penalty", CALLS_L2_GRADIENT),
    "numerical": ("derivatives by finite differences (f' and the whole backward pass)",
                  NUMERICAL),
    "f_prime_of_a": ("f'(z) evaluated at a instead of z; the penalty on the bias too",
                     F_PRIME_OF_A),
    "torch_autograd": ("forward passes in torch, the derivatives by .backward() (f' from z "
                       "recovered by inverting f, the layer's and the network's loss)",
                       TORCH_AUTOGRAD),
}


def _number(value) -> str:
    return repr(float(value))


def concrete_answers(variant) -> dict[str, str]:
    """The correct answers of ``variant``'s student, with the numbers typed in."""
    slopes = []
    for name in variant.hidden:
        if name == "leaky_relu":
            slopes.append(f"np.where(a_hidden > 0, 1.0, {_number(variant.leak)})")
        elif name == "elu":
            slopes.append(f"np.where(a_hidden > 0, 1.0, a_hidden + {_number(variant.alpha)})")
        else:
            slopes.append(f"1 - np.exp(-{_number(variant.beta)} * a_hidden)")
    q1 = ("def hidden_delta(delta, W, a_hidden, layer):\n"
          "    if layer == 1:\n"
          f"        slope = {slopes[0]}\n"
          "    else:\n"
          f"        slope = {slopes[1]}\n"
          "    return (delta @ W.T) * slope\n")
    lam = _number(variant.lam)
    q2 = ("def weight_and_bias_gradients(a_prev, delta, W):\n"
          f"    return a_prev.T @ delta + {lam} * W, delta.sum(axis=0)\n")
    c = _number(variant.loss_constant) if variant.loss_constant is not None else None
    dl = {"squared": "(y_hat - y)",
          "pseudo_huber": f"(y_hat - y) / sp.sqrt(1 + ((y_hat - y) / {c})**2)",
          "log_cosh": f"{c} * sp.tanh((y_hat - y) / {c})"}[variant.loss_name]
    fp = {"sigmoid": "y_hat * (1 - y_hat)", "tanh": "(1 - y_hat**2)",
          "softplus": f"(1 - sp.exp(-{_number(variant.beta)} * y_hat))"}[variant.output]
    q3 = f"delta_out = {dl} * {fp}\n"
    q4 = ("def backprop(params, X, Y):\n"
          "    z, a = variant.forward(params, X)\n"
          "    delta = sp.lambdify((y_hat, y), delta_out)(a[3], Y) / len(X)\n"
          "    grads = [None, None, None]\n"
          "    for l in (3, 2, 1):\n"
          "        W = np.asarray(params[l - 1]['W'], dtype=float)\n"
          "        dW, db = weight_and_bias_gradients(a[l - 1], delta, W)\n"
          "        grads[l - 1] = {'W': dW, 'b': db}\n"
          "        if l > 1:\n"
          "            delta = hidden_delta(delta, W, a[l - 1], l - 1)\n"
          "    return grads\n")
    return {"q1_answer": q1, "q2_answer": q2, "q3_answer": q3, "q4_answer": q4}
