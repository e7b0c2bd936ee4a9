"""How long one training step of an MLP takes in backproplab, and in PyTorch for comparison.

One step is a forward pass, a backward pass and an SGD update of a 784-256-128-10 network
(ReLU hidden layers, softmax output with cross-entropy), on a batch of 128 samples, in
float32: ``loss_and_gradients`` then ``sgd_step`` for backproplab, and
``loss.backward()`` then ``torch.optim.SGD.step()`` for PyTorch (CPU). Both start from the
same weights and train on the same batch; at the end their weights are compared, so the
figures are of the same computation.

Threads: both libraries hand the matrix products to a multithreaded BLAS. PyTorch gets as
many threads (``torch.set_num_threads``) as NumPy's BLAS uses, read with threadpoolctl
(installed with scikit-learn) or, without it, the number of CPUs this process may use, so
that the ratio compares the libraries, not thread counts.

Timing: the two libraries alternate in ``ROUNDS`` rounds, so that background load falls on
both alike. Before each block the script sleeps ``PAUSE`` seconds, long enough for the other
library's idle worker threads to stop spinning (OpenBLAS and OpenMP threads busy-wait for a
while after each call, and two pools spinning on few cores would slow both), then runs
``SETTLE`` untimed steps and ``BLOCK`` timed ones. The script
prints the median and 90th percentile in milliseconds, the minor page faults per step, and
the ratio of the medians (backproplab / PyTorch; the goal is at most 1.5).

Memory allocator: NumPy allocates a new array for every intermediate result. In a process
that runs only NumPy, glibc's default settings give the 128 KB to 800 KB arrays of this
network back to the operating system when they are freed, and the next step page-faults
them in again: about 600 minor page faults, 1.5 to 2 ms, per step, as much as the
arithmetic. (When PyTorch runs in the same process its own allocations shift glibc's
adaptive thresholds and the faults mostly disappear; the faults column shows which case a
run is in.) So the comparison runs twice: with glibc's defaults, then after ``mallopt``
raises the mmap threshold and the top pad so that freed memory is kept for reuse (what the
environment variables ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TOP_PAD_`` do). The library
itself never changes the process-wide allocator.

Without PyTorch it prints a note and backproplab's figures only. It prints figures only and
asserts nothing.

Run: .venv/bin/python benchmarks/train_step.py  (make bench installs torch==2.13.0 first)
"""

from __future__ import annotations

import ctypes
import os
import resource
import time

import numpy as np

from backproplab.mlp import init_params, loss_and_gradients
from backproplab.optimizers import sgd_step

SIZES = [784, 256, 128, 10]
BATCH = 128
LR = 0.05
WARMUP = 30
ROUNDS, SETTLE, BLOCK = 12, 5, 25  # 300 timed steps per library and allocator setting
PAUSE = 0.3  # seconds
SETTINGS = dict(hidden="relu", output="softmax", loss="cross_entropy")
M_TOP_PAD, M_MMAP_THRESHOLD = -2, -3  # glibc's mallopt parameters


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


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse instead of returning it to the system."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, 64 << 20)
                    and libc.mallopt(M_TOP_PAD, 64 << 20))
    except (OSError, AttributeError):  # not glibc
        return False


def page_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def alternate(steps: dict) -> dict:
    """Time every step function of ``steps`` in alternating blocks.

    Returns, per name, the milliseconds of each timed step and the minor page faults per
    timed step.
    """
    for step in steps.values():
        for _ in range(WARMUP):
            step()
    ms = {name: [] for name in steps}
    faults = dict.fromkeys(steps, 0)
    for _ in range(ROUNDS):
        for name, step in steps.items():
            time.sleep(PAUSE)
            for _ in range(SETTLE):
                step()
            before = page_faults()
            for _ in range(BLOCK):
                start = time.perf_counter()
                step()
                ms[name].append((time.perf_counter() - start) * 1e3)
            faults[name] += page_faults() - before
    return {name: (np.array(ms[name]), faults[name] / (ROUNDS * BLOCK)) for name in steps}


def backproplab_step(params, X, y):
    """One step of backproplab; the new layers replace the old ones in the list ``params``."""
    def step():
        _, grads = loss_and_gradients(params, X, y, **SETTINGS)
        params[:] = sgd_step(params, grads, LR)
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


def summary(label: str, ms: np.ndarray, faults: float) -> str:
    return f"{label:24} {np.median(ms):9.3f} {np.percentile(ms, 90):9.3f} {faults:12.1f}"


def main() -> None:
    rng = np.random.default_rng(20261123)
    params = init_params(SIZES, rng, scale="he", dtype=np.float32)
    X = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], size=BATCH)
    threads, source = blas_threads()
    print(f"One training step: {'-'.join(map(str, SIZES))} MLP, ReLU, softmax + "
          f"cross-entropy, batch {BATCH}, float32; {WARMUP} warm-up steps, then "
          f"{ROUNDS} alternating rounds of {BLOCK} timed steps.")
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
    steps = {"backproplab (NumPy)": backproplab_step(ours, X, y)}
    if torch is not None:
        steps["PyTorch (CPU)"], model = torch_step(torch, params, X, y)

    for allocator in ("glibc defaults", "freed memory kept"):
        if allocator == "freed memory kept" and not keep_freed_memory():
            print("\n(mallopt is not available: not glibc; skipping the second setting.)")
            break
        results = alternate(steps)
        print(f"\nmalloc: {allocator}")
        print(f"{'':24} {'median ms':>9} {'p90 ms':>9} {'faults/step':>12}")
        for name, (ms, faults) in results.items():
            print(summary(name, ms, faults))
        if results["backproplab (NumPy)"][1] > 50:
            print("(the page faults are glibc handing freed arrays back to the system: see "
                  "the docstring)")
        if torch is not None:
            ratio = (np.median(results["backproplab (NumPy)"][0])
                     / np.median(results["PyTorch (CPU)"][0]))
            print(f"ratio of medians, backproplab / PyTorch: {ratio:.2f} (goal: at most 1.5)")

    assert all(p["W"].dtype == np.float32 for p in ours), "backproplab left float32"
    if torch is not None:
        W_torch = model[0].weight.detach().numpy().T
        gap = np.max(np.abs(W_torch - ours[0]["W"])) / np.max(np.abs(ours[0]["W"]))
        print(f"\nafter the same steps, layer 1's W of the two differ by {gap:.1e} (relative "
              "to its largest entry): the same computation.")


if __name__ == "__main__":
    main()
