"""How long one training step of an MLP takes in backproplab, and in PyTorch for comparison.

One step is a forward pass, a backward pass and an SGD update of a 784-256-128-10 network
(ReLU hidden layers, softmax output with cross-entropy), on a batch of 128 samples, in
float32: ``loss_and_gradients`` then ``sgd_step_inplace`` for backproplab, and
``loss.backward()`` then ``torch.optim.SGD.step()`` for PyTorch (CPU), with the same
initial parameters and the same batch. Both start from the same weights; after the timed
steps their parameters are compared, so the figures are of the same computation.

Threads: both libraries hand the matrix products to a multithreaded BLAS. PyTorch is given
as many threads (``torch.set_num_threads``) as NumPy's BLAS uses, read with threadpoolctl
(installed with scikit-learn) or, without it, the number of CPUs this process may use.
Neither is pinned lower, so the ratio compares the libraries, not thread counts.

Each library gets ``WARMUP`` untimed steps, then ``REPEATS`` timed ones; the script prints
the median and 90th percentile in milliseconds and the ratio of the medians
(backproplab / PyTorch; the goal is at most 1.5). Without PyTorch it prints a note and
backproplab's figures only. It prints figures only and asserts nothing.

Run: .venv/bin/python benchmarks/train_step.py  (make bench installs torch==2.13.0 first)
"""

from __future__ import annotations

import os
import time

import numpy as np

from backproplab.mlp import init_params, loss_and_gradients, sgd_step_inplace

SIZES = [784, 256, 128, 10]
BATCH = 128
LR = 0.05
WARMUP = 30
REPEATS = 300
SETTINGS = dict(hidden="relu", output="softmax", loss="cross_entropy")


def blas_threads() -> tuple[int, str]:
    """The number of threads NumPy's BLAS uses, and how it was found."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        blas = [info for info in threadpool_info() if info.get("user_api") == "blas"]
        if blas:
            return int(blas[0]["num_threads"]), f"threadpoolctl ({blas[0]['internal_api']})"
    return len(os.sched_getaffinity(0)), "CPUs available to this process"


def timings(step, warmup: int = WARMUP, repeats: int = REPEATS) -> np.ndarray:
    """Milliseconds of each of ``repeats`` calls of ``step()``, after ``warmup`` calls."""
    for _ in range(warmup):
        step()
    ms = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        step()
        ms[i] = (time.perf_counter() - start) * 1e3
    return ms


def backproplab_step(params, X, y):
    """One step of backproplab, changing ``params`` in place."""
    def step():
        _, grads = loss_and_gradients(params, X, y, **SETTINGS)
        sgd_step_inplace(params, grads, LR)
    return step


def torch_step(torch, params, X, y):
    """One step of PyTorch with the same parameters; returns the step and the model."""
    layers = []
    for i, layer in enumerate(params):
        linear = torch.nn.Linear(*layer["W"].shape)
        with torch.no_grad():  # nn.Linear stores W transposed: weight is (n_out, n_in)
            linear.weight.copy_(torch.from_numpy(layer["W"].T.copy()))
            linear.bias.copy_(torch.from_numpy(layer["b"]))
        layers.append(linear)
        if i < len(params) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(X_t), y_t)
        loss.backward()
        optimizer.step()
    return step, model


def summary(label: str, ms: np.ndarray) -> str:
    return f"{label:24} {np.median(ms):9.3f} {np.percentile(ms, 90):9.3f}"


def main() -> None:
    rng = np.random.default_rng(20261123)
    params = init_params(SIZES, rng, scale="he", dtype=np.float32)
    X = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], size=BATCH)
    threads, source = blas_threads()
    print(f"One training step: {'-'.join(map(str, SIZES))} MLP, ReLU, softmax + "
          f"cross-entropy, batch {BATCH}, float32; {WARMUP} warm-up steps, {REPEATS} timed.")
    print(f"NumPy {np.__version__}, BLAS threads: {threads} (from {source}).")

    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed, so only backproplab is timed. Install it with "
              ".venv/bin/pip install torch==2.13.0 (make bench does) for the comparison.")
    else:
        torch.set_num_threads(threads)
        print(f"PyTorch {torch.__version__}, torch.set_num_threads({threads}).")

    ours = [{"W": p["W"].copy(), "b": p["b"].copy()} for p in params]
    ms_ours = timings(backproplab_step(ours, X, y))
    assert all(p["W"].dtype == np.float32 for p in ours), "backproplab left float32"
    print(f"\n{'':24} {'median ms':>9} {'p90 ms':>9}")
    print(summary("backproplab (NumPy)", ms_ours))
    if torch is None:
        return
    step, model = torch_step(torch, params, X, y)
    ms_torch = timings(step)
    print(summary("PyTorch (CPU)", ms_torch))
    ratio = np.median(ms_ours) / np.median(ms_torch)
    print(f"\nratio of medians, backproplab / PyTorch: {ratio:.2f} (goal: at most 1.5)")
    W_torch = model[0].weight.detach().numpy().T
    gap = np.max(np.abs(W_torch - ours[0]["W"])) / np.max(np.abs(ours[0]["W"]))
    print(f"after {WARMUP + REPEATS} steps each, layer 1's W differ by {gap:.1e} "
          "(relative to its largest entry): the same computation.")


if __name__ == "__main__":
    main()
