"""Shortcut submissions of homework 4 (``solutions/hw04``), for ``test_homework_shortcuts``.

Each shortcut models a student who passes without understanding: the chapter's displayed
``minibatches``, ``Momentum.update`` and ``Adam.update`` pasted into the answers, one
``sp.diff`` for the learning-rate limits, answers that satisfy the visible tests' messages
and nothing more, calls to the package. Each must earn at most 2 of the 10 autograded
points. ``concrete_answers(variant)`` is what a real student writes for ``variant``, with
its numbers typed in: another student's answers, submitted under a different id.
"""

from __future__ import annotations

import numpy as np

from backproplab.homework import hw04
from backproplab.surfaces import run_optimizer

# ---- the chapter's code, pasted ---------------------------------------------------------

PASTED_BATCHES = '''
def batches(n, batch_size, rng, drop_last=False):
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]
'''

# Momentum.update and Adam.update with the state in a dict: whichever name the variant uses.
PASTED_STEP = '''
def optimizer_step(w, g, state, t, hp):
    new = dict(state)
    if "m" in state:  # the chapter's Adam.update
        beta1, beta2, eps = hp.get("beta1", 0.9), hp.get("beta2", 0.999), hp.get("eps", 1e-8)
        m = beta1 * state["m"] + (1 - beta1) * g
        v = beta2 * state.get("v", state.get("u", 0 * g)) + (1 - beta2) * g**2
        for name in state:
            new[name] = v if name != "m" else m
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        return w - hp["lr"] * m_hat / (np.sqrt(v_hat) + eps), new
    beta = hp.get("beta", hp.get("momentum", hp.get("rho", 0.9)))  # the chapter's Momentum.update
    v = beta * state[next(iter(state))] + g
    for name in state:
        new[name] = v
    return w - hp["lr"] * v, new
'''

CHAPTER_LIMITS = '''
A = np.array(variant.A)
lr_limit_gd = 2 / max(A[0, 0], A[1, 1])
lr_limit_momentum = 2 / max(A[0, 0], A[1, 1])
'''

# ---- SymPy -----------------------------------------------------------------------------

SP_DIFF_LIMITS = '''
import sympy as sp
w1, w2 = sp.symbols("w1 w2")
A = variant.A
L = (A[0][0] * w1**2 + 2 * A[0][1] * w1 * w2 + A[1][1] * w2**2) / 2
lr_limit_gd = float(2 / sp.diff(L, w2, 2))
lr_limit_momentum = float(2 / sp.diff(L, w1, 2))
'''

# ---- the visible tests' messages, followed literally -------------------------------------

# Satisfies every visible check of q1 but cuts an order that is not rng.permutation(n).
MESSAGES_BATCHES = '''
def batches(n, batch_size, rng, drop_last=False):
    order = np.argsort(rng.random(n))
    stop = n - n % batch_size if drop_last else n
    return [order[k:k + batch_size] for k in range(0, stop, batch_size)]
'''

# q2: right state keys and shapes, no mutation, a step that descends (plain gradient descent).
MESSAGES_STEP = '''
def optimizer_step(w, g, state, t, hp):
    return w - hp["lr"] * g, {name: np.array(a) for name, a in state.items()}
'''

def bisected_limits(high: float, bisections: int, n_steps: int) -> str:
    """q3's answer found by bisection with the visible test's own check (no derivation)."""
    return f'''
def _limit(make):
    low, high = 1e-4, {high!r}
    for _ in range({bisections}):
        mid = (low * high) ** 0.5
        if run_optimizer(make(mid), variant.bowl(), n_steps={n_steps}).diverged:
            high = mid
        else:
            low = mid
    return (low * high) ** 0.5

lr_limit_gd = _limit(SGD)
lr_limit_momentum = _limit(lambda lr: Momentum(lr, beta=variant.beta))
'''


# q3: bisect until the visible test passes (within 5 %).
MESSAGES_LIMITS = bisected_limits(1.0, 12, 3000)
# q3: the same search pushed as far as runs of 20,000 steps tell (40 bisections, ~20 s):
# 1.7e-4 (gradient descent) and 6e-6…2e-5 (momentum) from the limits, short of 1e-6.
SEARCHED_LIMITS = bisected_limits(10.0, 40, 20000)

# q4: one learning rate of the grid and its own final loss: self-consistent, not the best.
MESSAGES_EXPERIMENT = '''
best_lr = variant.grid[0]
best_loss = run_optimizer(variant.q4_make(best_lr), variant.valley_surface(), n_steps=variant.n_steps).final_loss
'''

# ---- the package -------------------------------------------------------------------------

PACKAGE_BATCHES = '''
from backproplab.optimizers import minibatches

def batches(n, batch_size, rng, drop_last=False):
    parts = list(minibatches(n, batch_size, rng))
    return parts[:-1] if drop_last and len(parts[-1]) < batch_size else parts
'''

PACKAGE_STEP = '''
from backproplab.optimizers import make_optimizer

def optimizer_step(w, g, state, t, hp):
    name = "Adam" if "beta1" in hp else "Momentum" if "beta" in hp else "RMSProp"
    options = {"weight_decay": hp["weight_decay"]} if "weight_decay" in hp else {}
    optimizer = make_optimizer(name, hp["lr"], **options)
    new_w = w
    for _ in range(t):
        new_w = optimizer.step(w, g)
    return new_w, dict(state)
'''

SHORTCUTS = {
    "pasted_chapter": (
        "the chapter's minibatches (as a list), Momentum.update and Adam.update pasted; "
        "the limit 2 / largest diagonal entry",
        {"q1_answer": PASTED_BATCHES, "q2_answer": PASTED_STEP, "q3_answer": CHAPTER_LIMITS}),
    "one_sp_diff": (
        "one sp.diff per limit (second derivatives along the axes)",
        {"q3_answer": SP_DIFF_LIMITS}),
    "visible_messages": (
        "answers that satisfy the visible tests' messages and nothing more",
        {"q1_answer": MESSAGES_BATCHES, "q2_answer": MESSAGES_STEP,
         "q3_answer": MESSAGES_LIMITS, "q4_answer": MESSAGES_EXPERIMENT}),
    "calls_package": (
        "calls the package's minibatches and optimizers (q1, q2)",
        {"q1_answer": PACKAGE_BATCHES, "q2_answer": PACKAGE_STEP}),
    "guess_limits": (
        "the limits guessed as 2 / the trace of A and twice that",
        {"q3_answer": "lr_limit_gd = 2 / (variant.A[0][0] + variant.A[1][1])\n"
                      "lr_limit_momentum = 2 * lr_limit_gd\n"}),
    "searched_limits": (
        "the limits searched for: bisection with run_optimizer, 40 runs of 20,000 steps "
        "per limit, no derivation",
        {"q3_answer": SEARCHED_LIMITS}),
}


# ---- another student's answers -------------------------------------------------------------

STEP_BODIES = {
    "nesterov": '''
    v = hp["beta"] * state["v"] + g
    return w - hp["lr"] * (g + hp["beta"] * v), {"v": v}''',
    "adagrad": '''
    s = state["s"] + g ** 2
    return w - hp["lr"] * g / (np.sqrt(s) + hp["eps"]), {"s": s}''',
    "rmsprop_momentum": '''
    s = hp["rho"] * state["s"] + (1 - hp["rho"]) * g ** 2
    b = hp["momentum"] * state["b"] + g / (np.sqrt(s) + hp["eps"])
    return w - hp["lr"] * b, {"s": s, "b": b}''',
    "adamax": '''
    m = hp["beta1"] * state["m"] + (1 - hp["beta1"]) * g
    u = np.maximum(hp["beta2"] * state["u"], np.abs(g) + hp["eps"])
    return w - hp["lr"] / (1 - hp["beta1"] ** t) * m / u, {"m": m, "u": u}''',
    "amsgrad": '''
    m = hp["beta1"] * state["m"] + (1 - hp["beta1"]) * g
    v = hp["beta2"] * state["v"] + (1 - hp["beta2"]) * g ** 2
    v_max = np.maximum(state["v_max"], v)
    m_hat, v_hat = m / (1 - hp["beta1"] ** t), v_max / (1 - hp["beta2"] ** t)
    return w - hp["lr"] * m_hat / (np.sqrt(v_hat) + hp["eps"]), {"m": m, "v": v, "v_max": v_max}''',
    "adamw": '''
    m = hp["beta1"] * state["m"] + (1 - hp["beta1"]) * g
    v = hp["beta2"] * state["v"] + (1 - hp["beta2"]) * g ** 2
    m_hat, v_hat = m / (1 - hp["beta1"] ** t), v / (1 - hp["beta2"] ** t)
    w = w - hp["lr"] * hp["weight_decay"] * w
    return w - hp["lr"] * m_hat / (np.sqrt(v_hat) + hp["eps"]), {"m": m, "v": v}''',
}


def final_losses(variant: hw04.Variant) -> list[float]:
    """Question 4's experiment as the hidden test runs it: the final loss of the run with
    each learning rate of the grid, inf for a run that diverged. (The package never runs
    it: a variant holds the task, not its answer.)"""
    losses = []
    for lr in variant.grid:
        run = run_optimizer(variant.q4_make(lr), variant.valley_surface(), n_steps=variant.n_steps)
        losses.append(np.inf if run.diverged else run.final_loss)
    return losses


def concrete_answers(variant: hw04.Variant) -> dict[str, str]:
    """The correct answers for ``variant`` as a student writes them: numbers typed in."""
    step = "def optimizer_step(w, g, state, t, hp):" + STEP_BODIES[variant.optimizer] + "\n"
    A = np.array(variant.A)
    largest = float(np.linalg.eigvalsh(A).max())
    limits = (f"lr_limit_gd = {2 / largest:.9g}\n"
              f"lr_limit_momentum = {2 * (1 + variant.beta) / largest:.9g}\n")
    finals = final_losses(variant)
    experiment = (f"best_lr = {variant.grid[int(np.argmin(finals))]!r}\n"
                  f"best_loss = {min(finals)!r}\n")
    batches = ("def batches(n, batch_size, rng, drop_last=False):\n"
               "    order = rng.permutation(n)\n"
               "    stop = n - n % batch_size if drop_last else n\n"
               "    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]\n")
    return {"q1_answer": batches, "q2_answer": step, "q3_answer": limits,
            "q4_answer": experiment}
