"""Shortcut submissions for homework 5 (vanishing and exploding gradients), for the shortcut test.

``SHORTCUTS`` maps a name to (what the submission models, {answer grade_id: whole cell
source}); cells not given keep the released stub. ``concrete_answers(variant)`` is a correct
homework written for one variant with its numbers typed in, as a student writes it; the
shortcut test submits it under another student's id. Each shortcut must earn at most 2 of
the 10 autograded points (``tests/test_homework_shortcuts.py``).
"""

from __future__ import annotations

from backproplab.homework.hw05 import Variant

# Chapter 5 displays gradient_norms (it calls loss_and_gradients); pasted with the
# activation closest to the variant's.
PASTED_Q1 = '''
from backproplab.mlp import loss_and_gradients

def layer_gradient_norms(params, X, Y):
    hidden = "relu" if variant.activation == "leaky_relu" else "tanh"
    output, loss = ("softmax", "cross_entropy") if variant.loss == "cross_entropy" else ("identity", "mse")
    _, grads = loss_and_gradients(params, X, Y, hidden, output, loss)
    return np.array([np.linalg.norm(g[variant.measure]) for g in grads])
'''

# Chapter 5 displays batchnorm_forward / batchnorm_backward: the compact formula, adapted.
PASTED_Q3 = '''
def norm_backward(dy, x, gamma):
    x, dy = np.asarray(x, dtype=float), np.asarray(dy, dtype=float)
    m = dy.shape[0]
    inv_std = 1 / np.sqrt(x.var(axis=0) + 1e-5)
    x_hat = (x - x.mean(axis=0)) * inv_std
    dgamma, dbeta = (dy * x_hat).sum(axis=0), dy.sum(axis=0)
    return gamma * inv_std / m * (m * dy - dbeta - x_hat * dgamma)
'''

NUMERICAL_Q1 = '''
def layer_gradient_norms(params, X, Y, h=1e-6):
    norms = []
    for l, layer in enumerate(params):
        value = np.array(layer[variant.measure], dtype=float)
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            for sign in (1, -1):
                changed = [dict(p) for p in params]
                shifted = value.copy()
                shifted[index] += sign * h
                changed[l][variant.measure] = shifted
                grad[index] += sign * network_loss(changed, X, Y) / (2 * h)
        norms.append(np.linalg.norm(grad))
    return np.array(norms)
'''

NUMERICAL_Q3 = '''
def norm_backward(dy, x, gamma, h=1e-6):
    x = np.array(x, dtype=float)
    beta = np.zeros_like(gamma)
    dx = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        up = np.sum(dy * normalise(x, gamma, beta))
        x[index] = old - h
        down = np.sum(dy * normalise(x, gamma, beta))
        x[index] = old
        dx[index] = (up - down) / (2 * h)
    return dx
'''

# The forward passes written with torch tensors and the gradients left to PyTorch's autograd
# (loss.backward()): no backward pass of one's own.
TORCH_AUTOGRAD_Q1 = '''
import torch

def layer_gradient_norms(params, X, Y):
    P = [{key: torch.tensor(np.asarray(value, dtype=float), requires_grad=True)
          for key, value in layer.items()} for layer in params]
    a = torch.tensor(X, dtype=torch.float64)
    for layer in P[:-1]:
        z = a @ layer["W"] + layer["b"]
        p = float(variant.act_param)
        a = torch.where(z > 0, z, p * z) if variant.activation == "leaky_relu" else p * torch.tanh(z)
    z_out, Y_t = a @ P[-1]["W"] + P[-1]["b"], torch.tensor(Y, dtype=torch.float64)
    if variant.loss == "mse":
        loss = ((z_out - Y_t) ** 2).sum() / (2 * len(X))
    else:
        loss = -(Y_t * torch.log_softmax(z_out, dim=1)).sum() / len(X)
    loss.backward()
    return np.array([float(layer[variant.measure].grad.norm()) for layer in P])
'''

TORCH_AUTOGRAD_Q3 = '''
import torch

def norm_backward(dy, x, gamma):
    x_t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    axis = 0 if variant.norm.startswith("batch") else 1
    if variant.norm.endswith("rms"):
        centred, var = x_t, (x_t ** 2).mean(dim=axis, keepdim=True)
    else:
        centred = x_t - x_t.mean(dim=axis, keepdim=True)
        ddof = 1 if variant.norm == "batch_unbiased" else 0
        var = (centred ** 2).sum(dim=axis, keepdim=True) / (x.shape[axis] - ddof)
    y = torch.tensor(gamma) * centred / torch.sqrt(var + float(variant.eps))
    (y * torch.tensor(dy)).sum().backward()
    return x_t.grad.numpy()
'''

SHORTCUTS = {
    "pasted_chapter": (
        "the chapter's gradient_norms and batch-norm backward pasted, He's scale typed", {
            "q1_answer": PASTED_Q1,
            "q2_answer": "weight_var = 2 / n_in\n",
            "q3_answer": PASTED_Q3,
        }),
    "one_sp_diff": (
        "a single sp.diff for the derivation (Xavier's variance as a derivative)", {
            "q2_answer": "weight_var = sp.diff(2 * sp.log(n_in + n_out), n_in)\n",
        }),
    "visible_messages": (
        "answers that follow the visible tests' messages literally", {
            "q1_answer": "def layer_gradient_norms(params, X, Y):\n"
                         "    return np.array([np.linalg.norm(layer[variant.measure]) for layer in params])\n",
            "q2_answer": "weight_var = 1 / (n_in + n_out)\n",
            "q3_answer": "def norm_backward(dy, x, gamma):\n"
                         "    axis = 0 if variant.norm.startswith('batch') else 1\n"
                         "    return dy - dy.mean(axis=axis, keepdims=True)\n",
        }),
    "calls_package": (
        "the package's backward passes called (with a home-made Activation)", {
            "q1_answer": '''
from backproplab.activations import Activation
from backproplab.mlp import loss_and_gradients

def layer_gradient_norms(params, X, Y):
    p = float(variant.act_param)
    if variant.activation == "leaky_relu":
        act = Activation("leaky", lambda z: np.where(z > 0, z, p * z), lambda z: np.where(z > 0, 1.0, p))
    else:
        act = Activation("gtanh", lambda z: p * np.tanh(z), lambda z: p * (1 - np.tanh(z) ** 2))
    output, loss = ("softmax", "cross_entropy") if variant.loss == "cross_entropy" else ("identity", "mse")
    _, grads = loss_and_gradients(params, X, Y, act, output, loss)
    return np.array([np.linalg.norm(g[variant.measure]) for g in grads])
''',
            "q3_answer": '''
from backproplab.deepnets import batchnorm_backward, batchnorm_forward

def norm_backward(dy, x, gamma):
    _, cache, _ = batchnorm_forward(x, gamma, np.zeros_like(gamma), eps=float(variant.eps))
    return batchnorm_backward(dy, cache)[0]
''',
        }),
    "numerical": (
        "central differences of the given forward passes instead of a backward pass", {
            "q1_answer": NUMERICAL_Q1,
            "q3_answer": NUMERICAL_Q3,
        }),
    "xavier_typed": (
        "the chapter's Xavier/He variances typed for the variant's condition, no factor", {
            "q2_answer": "weight_var = {'forward': 2 / n_in, 'backward': 2 / n_out, "
                         "'average': 2 / (n_in + n_out)}[variant.condition]\n",
        }),
    "torch_autograd": (
        "the forward passes in torch, the gradients by loss.backward()", {
            "q1_answer": TORCH_AUTOGRAD_Q1,
            "q3_answer": TORCH_AUTOGRAD_Q3,
        }),
}


def _fraction(value) -> str:
    return f"sp.Rational({value.numerator}, {value.denominator})"


def concrete_answers(variant: Variant) -> dict[str, str]:
    """A correct homework for ``variant``, its numbers and choices typed in (no ``variant.``)."""
    p = float(variant.act_param)
    if variant.activation == "leaky_relu":
        f_prime = f"np.where(z > 0, 1.0, {p!r})"
    else:
        f_prime = f"{p!r} * (1 - np.tanh(z) ** 2)"
    if variant.loss == "cross_entropy":
        output_delta = ("e = np.exp(z_out - z_out.max(axis=1, keepdims=True))\n"
                        "    delta = (e / e.sum(axis=1, keepdims=True) - Y) / len(X)")
    else:
        output_delta = "delta = (z_out - Y) / len(X)"
    grad = "a_list[l].T @ delta" if variant.measure == "W" else "delta.sum(axis=0)"
    q1 = f'''
def layer_gradient_norms(params, X, Y):
    a_list, z_list = [np.asarray(X, dtype=float)], []
    for layer in params[:-1]:
        z_list.append(a_list[-1] @ layer["W"] + layer["b"])
        a_list.append(f(z_list[-1]))
    z_out = a_list[-1] @ params[-1]["W"] + params[-1]["b"]
    {output_delta}
    norms = []
    for l in reversed(range(len(params))):
        norms.append(np.linalg.norm({grad}))
        if l > 0:
            z = z_list[l - 1]
            delta = (delta @ params[l]["W"].T) * {f_prime}
    return np.array(norms[::-1])
'''
    a = variant.act_param
    kappa = (f"(1 + {_fraction(a)} ** 2) / 2" if variant.activation == "leaky_relu"
             else f"{_fraction(a)} ** 2")
    width = {"forward": "n_in", "backward": "n_out", "average": "(n_in + n_out) / 2"}[
        variant.condition]
    q2 = f"weight_var = 1 / ({kappa} * {width})\n"
    axis = 0 if variant.norm.startswith("batch") else 1
    rms = variant.norm.endswith("rms")
    ddof = 1 if variant.norm == "batch_unbiased" else 0
    centred = "x" if rms else f"x - x.mean(axis={axis}, keepdims=True)"
    mean_g = "0.0" if rms else f"g.mean(axis={axis}, keepdims=True)"
    q3 = f'''
def norm_backward(dy, x, gamma):
    x, dy = np.asarray(x, dtype=float), np.asarray(dy, dtype=float)
    n = x.shape[{axis}] - {ddof}
    c = {centred}
    inv = 1 / np.sqrt(np.sum(c ** 2, axis={axis}, keepdims=True) / n + {float(variant.eps)!r})
    x_hat, g = c * inv, dy * gamma
    return inv * (g - {mean_g} - x_hat * np.sum(g * x_hat, axis={axis}, keepdims=True) / n)
'''
    return {"q1_answer": q1, "q2_answer": q2, "q3_answer": q3}
