"""``checks.call_without_reference`` with PyTorch's autograd hidden: an answer that lets
``loss.backward()``, ``torch.autograd.grad``, ``torch.autograd.functional`` or ``torch.func``
compute its gradients fails with a message naming what it called; the same answer runs
again afterwards; a module that is not installed means nothing to hide."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

from backproplab.checks import (
    AUTOGRAD_ENTRY_POINTS,
    REFERENCE_IMPLEMENTATIONS,
    call_without_reference,
    refusal,
)

torch = pytest.importorskip("torch")
BY_HAND = {**REFERENCE_IMPLEMENTATIONS, **AUTOGRAD_ENTRY_POINTS}
W0 = np.array([[0.5, -1.0], [2.0, 0.25], [-0.75, 1.5]])
X0 = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]])


def gradient_by_hand(W, X):
    """d/dW of L = sum(tanh(X @ W)) / 2, written out: X.T @ (1 - tanh(z)^2) / 2."""
    return X.T @ (1 - np.tanh(X @ W) ** 2) / 2


def loss_t(W_t, X):
    return torch.tanh(torch.as_tensor(X) @ W_t).sum() / 2


def by_backward(W, X):
    W_t = torch.tensor(W, requires_grad=True)
    loss_t(W_t, X).backward()
    return W_t.grad.numpy()


def by_autograd_grad(W, X):
    W_t = torch.tensor(W, requires_grad=True)
    return torch.autograd.grad(loss_t(W_t, X), W_t)[0].numpy()


def by_functional_vjp(W, X):
    return torch.autograd.functional.vjp(lambda w: loss_t(w, X), torch.tensor(W))[1].numpy()


def by_functional_jacobian(W, X):
    return torch.autograd.functional.jacobian(lambda w: loss_t(w, X), torch.tensor(W)).numpy()


def by_func_grad(W, X):
    return torch.func.grad(lambda w: loss_t(w, X))(torch.tensor(W)).numpy()


def by_func_jacrev(W, X):
    return torch.func.jacrev(lambda w: loss_t(w, X))(torch.tensor(W)).numpy()


def by_func_jacfwd(W, X):
    return torch.func.jacfwd(lambda w: loss_t(w, X))(torch.tensor(W)).numpy()


def by_dual_numbers(W, X):
    fwd = torch.autograd.forward_ad
    grad = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        tangent = torch.zeros(W.shape, dtype=torch.float64)
        tangent[index] = 1.0
        with fwd.dual_level():
            out = loss_t(fwd.make_dual(torch.tensor(W), tangent), X)
            grad[index] = float(fwd.unpack_dual(out).tangent)
    return grad


def by_functorch(W, X):  # the older package, its own wrappers of the same transforms
    functorch = pytest.importorskip("functorch")
    return functorch.grad(lambda w: loss_t(w, X))(torch.tensor(W)).numpy()


def by_engine(W, X):  # backward's own engine call, past every public name
    W_t = torch.tensor(W, requires_grad=True)
    loss = loss_t(W_t, X)
    torch.autograd.graph._engine_run_backward((loss,), (torch.ones(()),), False, False, (),
                                              allow_unreachable=True, accumulate_grad=True)
    return W_t.grad.numpy()


SHORTCUTS = {by_backward: "torch.autograd.backward (what loss.backward() runs)",
             by_autograd_grad: "torch.autograd.grad",
             by_functional_vjp: "torch.autograd.functional.vjp",
             by_functional_jacobian: "torch.autograd.functional.jacobian",
             by_func_grad: "torch.func.grad", by_func_jacrev: "torch.func.jacrev",
             by_func_jacfwd: "torch.func.jacfwd",
             by_dual_numbers: "torch.autograd.forward_ad.dual_level",
             by_functorch: "torch.autograd.grad", by_engine: "PyTorch's backward engine"}


def test_autograd_entry_points_exist():
    missing = [f"{module}.{name}" for module, names in AUTOGRAD_ENTRY_POINTS.items()
               for name in names if name not in vars(importlib.import_module(module))]
    assert not missing, f"AUTOGRAD_ENTRY_POINTS names what torch {torch.__version__} lacks: {missing}"


@pytest.mark.parametrize("answer", list(SHORTCUTS), ids=lambda f: f.__name__)
def test_autograd_answers_are_refused_and_work_again_afterwards(answer):
    want = gradient_by_hand(W0, X0)
    np.testing.assert_allclose(answer(W0, X0), want, rtol=1e-12, atol=1e-14)  # a real shortcut
    with pytest.raises(AssertionError) as refused:
        call_without_reference(answer, W0, X0, reference=BY_HAND)
    assert f"{answer.__name__} calls {SHORTCUTS[answer]}" in str(refused.value)
    assert "automatic differentiation" in str(refused.value)
    assert "NumPy operations only" in str(refused.value)
    # everything is put back: the same answer works after the call
    np.testing.assert_allclose(answer(W0, X0), want, rtol=1e-12, atol=1e-14)
    for module, names in AUTOGRAD_ENTRY_POINTS.items():
        for name in names:
            assert "refuse" not in getattr(getattr(vars(importlib.import_module(module))[name],
                                                   "__code__", None), "co_name", "")


def test_names_imported_into_the_answers_namespace_are_refused_too():
    namespace = {"np": np, "torch": torch}
    exec("from torch.autograd import grad\n"
         "def answer(W, X):\n"
         "    W_t = torch.tensor(W, requires_grad=True)\n"
         "    return grad(torch.tanh(torch.as_tensor(X) @ W_t).sum() / 2, W_t)[0].numpy()\n",
         namespace)
    with pytest.raises(AssertionError, match=r"answer calls torch\.autograd\.grad: PyTorch"):
        call_without_reference(namespace["answer"], W0, X0, reference=BY_HAND)
    assert namespace["grad"] is torch.autograd.grad


def test_an_answer_by_hand_passes_and_autograd_stays_usable_without_the_mapping():
    np.testing.assert_allclose(call_without_reference(gradient_by_hand, W0, X0, reference=BY_HAND),
                               gradient_by_hand(W0, X0), rtol=1e-12, atol=0)
    # a question that needs autograd (a PyTorch training loop) names only the book's modules
    np.testing.assert_allclose(call_without_reference(by_backward, W0, X0),
                               gradient_by_hand(W0, X0), rtol=1e-12, atol=1e-14)


def test_the_books_reference_keeps_its_message():
    assert refusal("f", "backproplab.mlp.hidden_delta") == (
        "f calls the book's reference implementation backproplab.mlp.hidden_delta; the "
        "exercise is to write that formula yourself (NumPy operations only).")


def test_a_module_that_is_not_installed_means_nothing_to_hide(monkeypatch):
    # torch "not installed": importing it fails the way it does on a machine without it
    for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch -> ModuleNotFoundError
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("torch.autograd")
    reference = {**BY_HAND, "no_such_package_for_backproplab.sub": ("f",)}
    np.testing.assert_allclose(call_without_reference(gradient_by_hand, W0, X0, reference=reference),
                               gradient_by_hand(W0, X0), rtol=1e-12, atol=0)
    # the book's own references are still hidden
    from backproplab.mlp import hidden_delta

    def lazy(delta, W, z_prev):
        return hidden_delta(delta, W, z_prev, "identity")

    with pytest.raises(AssertionError, match="reference implementation backproplab.mlp.hidden_delta"):
        call_without_reference(lazy, np.ones((2, 3)), np.ones((4, 3)), np.zeros((2, 4)),
                               reference=reference)


def test_a_module_that_fails_to_import_is_still_an_error(tmp_path, monkeypatch):
    (tmp_path / "broken_module_for_backproplab.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        call_without_reference(gradient_by_hand, W0, X0,
                               reference={"broken_module_for_backproplab": ("f",)})
