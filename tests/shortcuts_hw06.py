"""Shortcut submissions for homework 6 (BPTT, LSTMs, PyTorch), for the shortcut test.

``SHORTCUTS`` maps a name to (what the submission models, {answer grade_id: whole cell
source}); cells not given keep the released stub. ``concrete_answers(variant)`` is a correct
homework written for one variant with its numbers typed in, as a student writes it; the
shortcut test submits it under another student's id. Each shortcut must earn at most 2 of
the 10 autograded points (``tests/test_homework_shortcuts.py``).
"""

from __future__ import annotations

from backproplab.homework.hw06 import Variant


def VARIANT_KEY(variant: Variant) -> tuple:  # noqa: N802 (a constant of the shortcut test)
    """What changes the reference code's path: question 1's activation and reduction,
    question 2's cell, question 3's task. The shortcut test grades the reference solution for
    one id per key (each hw06 reference submission trains two PyTorch LSTMs, ~20 s)."""
    return variant.activation, variant.reduction, variant.cell, variant.task

# Chapter 6 displays rnn_backward (many-to-one, tanh, h_0 = 0): called with the loss's
# output delta of the last step, h0's gradient taken as zero.
PASTED_Q1 = '''
from backproplab.rnn import rnn_backward, rnn_forward

def rnn_gradients(params, X, Y):
    cache = rnn_forward(params, X)
    d_out = (cache.z_out - Y[:, -1]) / len(X)
    grads = dict(rnn_backward(params, cache, d_out).grads)
    grads["h0"] = np.zeros_like(params["h0"])
    return grads
'''

# The same, with the chapter's step function written out (no package call): the chapter's
# BPTT loop, tanh and a loss on the last step only.
TYPED_CHAPTER_Q1 = '''
def rnn_gradients(params, X, Y):
    m, T = X.shape[:2]
    hs, zs = [np.tile(params["h0"], (m, 1))], []
    for t in range(T):
        zs.append(X[:, t] @ params["W_x"] + hs[-1] @ params["W_h"] + params["b"])
        hs.append(np.tanh(zs[-1]))
    d_out = (hs[-1] @ params["W_y"] + params["b_y"] - Y[:, -1]) / m
    grads = {"W_y": hs[-1].T @ d_out, "b_y": d_out.sum(axis=0),
             "W_x": 0, "W_h": 0, "b": 0}
    dh = d_out @ params["W_y"].T
    for t in reversed(range(T)):
        delta = dh * (1 - np.tanh(zs[t]) ** 2)
        grads["W_x"] = grads["W_x"] + X[:, t].T @ delta
        grads["W_h"] = grads["W_h"] + hs[t].T @ delta
        grads["b"] = grads["b"] + delta.sum(axis=0)
        dh = delta @ params["W_h"].T
    grads["h0"] = dh.sum(axis=0)
    return grads
'''

# The chapter's LSTM sentiment loop (Embedding -> LSTM -> last step -> one logit, Adam,
# BCEWithLogitsLoss), adapted to float inputs, its weights handed back as the chapter's
# layout note says.
PASTED_Q3 = '''
def train_lstm(X, Y, seed):
    torch.manual_seed(seed)
    lstm, head = nn.LSTM(X.shape[2], variant.n_h, batch_first=True), nn.Linear(variant.n_h, 1)
    optimizer = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=0.01)
    loss_fn = nn.BCEWithLogitsLoss()
    X_t = torch.tensor(X, dtype=torch.float32)
    y_t = torch.tensor((Y[:, -1] > 0).astype(float), dtype=torch.float32)
    for _ in range(10):
        optimizer.zero_grad()
        out, _ = lstm(X_t)
        loss = loss_fn(head(out[:, -1]), y_t)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return {"W_x": lstm.weight_ih_l0.numpy().T.copy(), "W_h": lstm.weight_hh_l0.numpy().T.copy(),
                "b": (lstm.bias_ih_l0 + lstm.bias_hh_l0).numpy(), "W_y": head.weight.numpy().T.copy(),
                "b_y": head.bias.numpy().copy()}
'''

NUMERICAL_Q1 = '''
def rnn_gradients(params, X, Y, h=1e-6):
    grads = {}
    for key, value in params.items():
        value = np.array(value, dtype=float)
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            for sign in (1, -1):
                shifted = value.copy()
                shifted[index] += sign * h
                grad[index] += sign * sequence_loss({**params, key: shifted}, X, Y) / (2 * h)
        grads[key] = grad
    return grads
'''

# A training loop that forgets the layout: PyTorch's weights handed back as they are
# (transposed shapes fixed with reshape, one bias dropped).
LAYOUT_Q3 = '''
def train_lstm(X, Y, seed):
    torch.manual_seed(seed)
    lstm, head = nn.LSTM(X.shape[2], variant.n_h, batch_first=True), nn.Linear(variant.n_h, 1)
    optimizer = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=0.01)
    X_t, Y_t = torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)
    for _ in range(30):
        for start in range(0, len(X_t), 64):
            optimizer.zero_grad()
            out, _ = lstm(X_t[start:start + 64])
            loss = ((head(out) - Y_t[start:start + 64]) ** 2).mean()
            loss.backward()
            optimizer.step()
    n_in, n_h = X.shape[2], variant.n_h
    with torch.no_grad():
        return {"W_x": lstm.weight_ih_l0.numpy().reshape(n_in, 4 * n_h),
                "W_h": lstm.weight_hh_l0.numpy().reshape(n_h, 4 * n_h),
                "b": lstm.bias_ih_l0.numpy(), "W_y": head.weight.numpy().reshape(n_h, 1),
                "b_y": head.bias.numpy()}
'''

# The forward pass written with torch tensors and the gradients left to PyTorch's autograd
# (loss.backward()): no backward pass of one's own. Question 1's test hides torch's autograd
# (question 3's does not: it trains with it).
TORCH_AUTOGRAD_Q1 = '''
def rnn_gradients(params, X, Y):
    P = {key: torch.tensor(np.asarray(value, dtype=float), requires_grad=True)
         for key, value in params.items()}
    X_t, Y_t = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)
    m, T = X.shape[:2]
    weights = hw06.step_weights(variant, T)
    h = P["h0"].expand(m, -1)
    loss = 0
    for t in range(T):
        z = X_t[:, t] @ P["W_x"] + h @ P["W_h"] + P["b"]
        if variant.activation == "leaky_relu":
            h = torch.where(z > 0, z, float(variant.act_param) * z)
        else:
            h = z / (1 + z.abs())
        loss = loss + float(weights[t]) * ((h @ P["W_y"] + P["b_y"] - Y_t[:, t]) ** 2).sum() / (2 * m)
    loss.backward()
    return {key: value.grad.numpy() for key, value in P.items()}
'''

SHORTCUTS = {
    "pasted_chapter": (
        "the chapter's rnn_backward, the cell path dL/dc·f and the sentiment loop pasted", {
            "q1_answer": PASTED_Q1,
            "q2_answer": "cell_gradient = dL_dc * f_t if variant.cell != 'coupled' "
                         "else dL_dc * c_prev * f_t * (1 - f_t)\n",
            "q3_answer": PASTED_Q3,
        }),
    "typed_chapter": (
        "the chapter's tanh BPTT with a last-step loss typed out (no package call)", {
            "q1_answer": TYPED_CHAPTER_Q1,
        }),
    "one_sp_diff": (
        "a single sp.diff of the cell update, the gate held as a symbol", {
            "q2_answer": "cell_gradient = dL_dc * sp.diff(f_t * c_prev + (1 - f_t if variant.cell.startswith("
                         "'coupled') else i_t) * g_t, f_t if variant.cell == 'coupled' else c_prev)\n",
        }),
    "one_sp_diff_z": (
        "a single sp.diff through the sigmoid, the pre-activation left in", {
            "q2_answer": "z = sp.Symbol('z')\n"
                         "cell_gradient = dL_dc * sp.diff(c_prev / (1 + sp.exp(-z)) + g_t * (1 - 1 / (1 + sp.exp(-z))), z)\n",
        }),
    "visible_messages": (
        "answers that follow the visible tests' messages literally", {
            "q1_answer": "def rnn_gradients(params, X, Y):\n"
                         "    return {key: np.zeros(np.shape(value)) for key, value in params.items()}\n",
            "q2_answer": "cell_gradient = dL_dc * f_t * c_prev\n",
            "q3_answer": LAYOUT_Q3,
        }),
    "numerical": (
        "central differences of the given loss instead of a backward pass", {
            "q1_answer": NUMERICAL_Q1,
        }),
    "torch_autograd": (
        "question 1's forward pass in torch, its gradients by loss.backward()", {
            "q1_answer": TORCH_AUTOGRAD_Q1,
        }),
}


def _decimal(value) -> str:
    return repr(float(value))


def concrete_answers(variant: Variant) -> dict[str, str]:
    """A correct homework for ``variant``, its numbers and choices typed in (no ``variant.``)."""
    if variant.activation == "leaky_relu":
        act_prime = f"np.where(z > 0, 1.0, {_decimal(variant.act_param)})"
    else:
        act_prime = "1 / (1 + np.abs(z)) ** 2"
    weights = {"sum": "np.ones(T)", "mean": "np.full(T, 1 / T)",
               "discounted": f"{_decimal(variant.gamma)} ** np.arange(T - 1, -1, -1)"}[
        variant.reduction]
    q1 = f'''
def rnn_gradients(params, X, Y):
    m, T = X.shape[:2]
    weights = {weights}
    hs, zs = [np.tile(params["h0"], (m, 1))], []
    for t in range(T):
        zs.append(X[:, t] @ params["W_x"] + hs[-1] @ params["W_h"] + params["b"])
        hs.append(act(zs[-1]))
    grads = {{key: np.zeros(np.shape(value)) for key, value in params.items()}}
    dh = np.zeros_like(hs[0])
    for t in reversed(range(T)):
        e = weights[t] * (hs[t + 1] @ params["W_y"] + params["b_y"] - Y[:, t]) / m
        grads["W_y"] += hs[t + 1].T @ e
        grads["b_y"] += e.sum(axis=0)
        z = zs[t]
        delta = (dh + e @ params["W_y"].T) * {act_prime}
        grads["W_x"] += X[:, t].T @ delta
        grads["W_h"] += hs[t].T @ delta
        grads["b"] += delta.sum(axis=0)
        dh = delta @ params["W_h"].T
    grads["h0"] = dh.sum(axis=0)
    return grads
'''
    q2 = "cell_gradient = " + {
        "coupled": "dL_dc * (c_prev - g_t) * f_t * (1 - f_t)",
        "peephole_f": "dL_dc * (f_t + p * c_prev * f_t * (1 - f_t))",
        "peephole_i": "dL_dc * (f_t + p * g_t * i_t * (1 - i_t))",
        "coupled_peephole": "dL_dc * (f_t + p * (c_prev - g_t) * f_t * (1 - f_t))",
    }[variant.cell] + "\n"
    q3 = f'''
def train_lstm(X, Y, seed):
    torch.manual_seed(seed)
    lstm, head = nn.LSTM(X.shape[2], {variant.n_h}, batch_first=True), nn.Linear({variant.n_h}, 1)
    optimizer = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=0.01)
    X_t, Y_t = torch.tensor(X, dtype=torch.float32), torch.tensor(Y, dtype=torch.float32)
    for _ in range(30):
        order = torch.randperm(len(X_t))
        for start in range(0, len(X_t), 64):
            rows = order[start:start + 64]
            optimizer.zero_grad()
            out, _ = lstm(X_t[rows])
            loss = ((head(out) - Y_t[rows]) ** 2).mean()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        return {{"W_x": lstm.weight_ih_l0.numpy().T.copy(), "W_h": lstm.weight_hh_l0.numpy().T.copy(),
                "b": (lstm.bias_ih_l0 + lstm.bias_hh_l0).numpy(), "W_y": head.weight.numpy().T.copy(),
                "b_y": head.bias.numpy().copy()}}
'''
    return {"q1_answer": q1, "q2_answer": q2, "q3_answer": q3}
