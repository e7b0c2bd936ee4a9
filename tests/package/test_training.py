"""The one training loop (backproplab.training) for chapters 3, 4 and 5: MLPs with plain SGD
and with any optimizer, early stopping, deep networks with clipping, one rule for divergence
and one progress-bar default."""

import sys
import warnings

import numpy as np
import pytest

from backproplab.deepnets import DeepNet
from backproplab.gradcheck import relative_error
from backproplab.losses import one_hot
from backproplab.mlp import accuracy, compute_loss, init_params, load_digits_dataset
from backproplab.optimizers import SGD, Adam, make_optimizer
from backproplab.training import DivergenceWarning, train


def _toy(rng, n=60):
    X = rng.uniform(-1, 1, size=(n, 2))
    y = X[:, :1] - 2 * X[:, 1:] + 0.5
    return X, y


def _deep_problem(rng, m=32):
    X = rng.normal(size=(m, 3))
    return X, one_hot(rng.integers(0, 3, size=m), 3)


# --- MLPs: chapter 3 (plain SGD) and chapter 4 (optimizers) -------------------------------

@pytest.mark.parametrize("hidden, loss, output, lr", [
    ("sigmoid", "cross_entropy", "softmax", 0.5),
    ("relu", "mse", "sigmoid", 1.0),
])
def test_training_on_digits_reaches_a_good_held_out_accuracy(hidden, loss, output, lr):
    rng = np.random.default_rng(0)
    data = load_digits_dataset(rng, test_fraction=0.25)
    y_train = data.y_train if loss == "cross_entropy" else one_hot(data.y_train, 10)
    params = init_params([64, 32, 10], rng, scale="he" if hidden == "relu" else "xavier")
    untrained = accuracy(params, data.X_test, data.y_test, hidden, output)
    params, history, _ = train(params, data.X_train, y_train, epochs=15, batch_size=32, lr=lr,
                               rng=rng, hidden=hidden, output=output, loss=loss,
                               X_val=data.X_test, y_val=data.y_test if loss == "cross_entropy"
                               else one_hot(data.y_test, 10))
    assert history.epochs == 15
    assert len(history.val_accuracy) == len(history.train_loss) == 15
    assert len(history.iteration_loss) == len(history.grad_norm) == 15 * 43
    assert history.train_loss[-1] < history.train_loss[0]
    assert untrained < 0.3
    assert history.val_accuracy[-1] > 0.9
    assert accuracy(params, data.X_test, data.y_test, hidden, output) == \
        history.val_accuracy[-1]
    # The history is measured on the whole training set with the final parameters.
    assert history.train_loss[-1] == pytest.approx(
        compute_loss(params, data.X_train, y_train, hidden, output, loss), rel=1e-12)
    assert history.train_accuracy[-1] == accuracy(params, data.X_train, data.y_train, hidden,
                                                  output)


def test_training_is_reproducible_and_records_only_what_it_can():
    rng = np.random.default_rng(0)
    X, y = _toy(rng, 12)
    params = init_params([2, 4, 1], rng)
    runs = [train(params, X, y, epochs=3, batch_size=5, lr=0.1, rng=np.random.default_rng(7))
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0].params[0]["W"], runs[1].params[0]["W"])
    # Another rng shuffles the samples into other batches: other parameters.
    other = train(params, X, y, epochs=3, batch_size=5, lr=0.1, rng=np.random.default_rng(8))
    assert relative_error(other.params[0]["W"], runs[0].params[0]["W"]) > 1e-6
    history = runs[0].history
    assert history.val_loss == [] and history.epochs == 3 and history.diverged_at is None
    assert all(np.isnan(history.train_accuracy))  # y is not made of classes
    assert runs[0].running is None


def test_lr_is_plain_gradient_descent():
    rng = np.random.default_rng(0)
    X, y = _toy(rng)
    params = init_params([2, 4, 1], rng)
    by_lr = train(params, X, y, epochs=3, batch_size=10, lr=0.1, rng=np.random.default_rng(1))
    by_sgd = train(params, X, y, epochs=3, batch_size=10, optimizer=SGD(0.1),
                   rng=np.random.default_rng(1))
    for a, b in zip(by_lr.params, by_sgd.params):
        np.testing.assert_array_equal(a["W"], b["W"])


@pytest.mark.parametrize("name, lr", [("SGD", 0.1), ("Momentum", 0.05), ("RMSProp", 0.01),
                                      ("Adam", 0.01)])
def test_every_optimizer_lowers_the_loss(name, lr):
    rng = np.random.default_rng(0)
    X, y = _toy(rng)
    params = init_params([2, 4, 1], rng)
    result = train(params, X, y, optimizer=make_optimizer(name, lr), epochs=30, batch_size=10,
                   rng=rng, hidden="tanh")
    h = result.history
    assert len(h.iteration_loss) == 30 * 6 and h.epochs == 30
    assert h.train_loss[-1] < 0.2 * h.train_loss[0]


def test_early_stopping_returns_the_best_epoch():
    rng = np.random.default_rng(0)
    X, y = _toy(rng, 20)
    X_val, y_val = _toy(rng, 40)
    y = y + rng.normal(scale=0.5, size=y.shape)        # noisy labels: it will overfit
    result = train(init_params([2, 30, 1], rng), X, y, optimizer=Adam(0.03), epochs=400,
                   batch_size=20, rng=rng, hidden="tanh", X_val=X_val, y_val=y_val,
                   patience=20)
    h = result.history
    assert h.stopped_early and h.epochs == h.best_epoch + 20
    assert h.val_loss[h.best_epoch - 1] == min(h.val_loss)
    assert compute_loss(result.params, X_val, y_val, hidden="tanh") == \
        pytest.approx(min(h.val_loss))


# --- deep networks: chapter 5 --------------------------------------------------------------

def test_deep_net_training_does_not_mutate_and_keeps_running_statistics():
    rng = np.random.default_rng(42)
    X, Y = _deep_problem(rng, 16)
    net = DeepNet([3, 4, 4, 3], batchnorm=True, dropout=0.2)
    params = net.init(rng)
    before = [{k: v.copy() for k, v in layer.items()} for layer in params]
    X_before = X.copy()
    result = train(params, X, Y, net=net, steps=3, lr=0.1, rng=rng, batch_size=4)
    for a, b in zip(params, before):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    np.testing.assert_array_equal(X, X_before)
    h = result.history
    assert len(h.iteration_loss) == len(h.grad_norm) == 3 and h.diverged_at is None
    assert h.epochs == 0  # steps=: no per-epoch records
    assert len(result.running) == 2 and result.running[0].mean.shape == (4,)
    assert set(result.params[0]) == {"W", "b", "gamma", "beta"}


def test_clipping_keeps_a_deep_relu_net_from_diverging():
    rng = np.random.default_rng(42)
    X, Y = _deep_problem(rng)
    net = DeepNet([3] + [8] * 10 + [3], hidden="relu")
    params = net.init(rng, 1.0)
    clipped = train(params, X, Y, net=net, steps=50, lr=0.05, batch_size=64,
                    rng=np.random.default_rng(0), clip=1.0)
    h = clipped.history
    assert h.diverged_at is None
    assert np.mean(h.iteration_loss[-5:]) < h.iteration_loss[0]


def test_a_deep_net_with_epochs_records_loss_and_accuracy():
    rng = np.random.default_rng(42)
    X, Y = _deep_problem(rng, 40)
    net = DeepNet([3, 8, 8, 3], hidden="tanh", batchnorm=True)
    result = train(net.init(rng), X, Y, net=net, epochs=4, batch_size=10, lr=0.1, rng=rng,
                   X_val=X, y_val=Y)
    h = result.history
    assert h.epochs == 4 and len(h.iteration_loss) == 16
    assert 0 <= h.train_accuracy[-1] <= 1 and h.val_loss == h.train_loss


# --- one rule for divergence ---------------------------------------------------------------

def test_divergence_stops_training_records_the_step_and_says_what_to_change():
    rng = np.random.default_rng(0)
    X, y = _toy(rng, 20)
    params = init_params([2, 8, 2], rng)
    y = np.hstack([y, -y]) * 1e3
    # Four batches per epoch: training stops at the first batch whose loss is inf or NaN.
    with pytest.warns(DivergenceWarning, match=r"training diverged: the loss became (inf|nan) "
                      r"at batch \d of epoch \d+ with lr=1e\+06.*lower lr \(try lr=100000\)"):
        result = train(params, X, y, epochs=50, batch_size=5, lr=1e6, hidden="tanh",
                       rng=np.random.default_rng(0))
    h = result.history
    assert h.diverged_at is not None and len(h.iteration_loss) == h.diverged_at
    assert all(np.isfinite(p["W"]).all() for p in result.params)  # those before the step


def test_a_deep_net_diverges_by_the_same_rule():
    rng = np.random.default_rng(42)
    X, Y = _deep_problem(rng)
    net = DeepNet([3] + [8] * 10 + [3], hidden="relu", output="identity", loss="mse")
    with pytest.warns(DivergenceWarning, match=r"at step \d+ with lr=10\b"):
        result = train(net.init(rng, 3.0), X, Y, net=net, steps=50, lr=10.0, batch_size=64,
                       rng=rng)
    h = result.history
    assert h.diverged_at is not None and h.diverged_at < 50
    assert len(h.iteration_loss) == h.diverged_at


# --- arguments, and the progress bar -------------------------------------------------------

def test_errors_say_what_to_change():
    rng = np.random.default_rng(0)
    X, y = _toy(rng, 20)
    params = init_params([2, 4, 1], rng)
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        train(params, X, y, epochs=0, batch_size=4, lr=0.1, rng=rng)
    with pytest.raises(ValueError, match="X has 20 rows but y has 3"):
        train(params, X, y[:3], epochs=1, batch_size=4, lr=0.1, rng=rng)
    with pytest.raises(TypeError, match="optimizer must be one of"):
        train(params, X, y, optimizer=0.1, epochs=1, batch_size=10, rng=rng)
    with pytest.raises(ValueError, match="either lr .* or optimizer"):
        train(params, X, y, optimizer=SGD(0.1), lr=0.1, epochs=1, batch_size=10, rng=rng)
    with pytest.raises(ValueError, match="either epochs .* or steps"):
        train(params, X, y, lr=0.1, batch_size=10, rng=rng)
    with pytest.raises(ValueError, match="needs a validation set"):
        train(params, X, y, optimizer=SGD(0.1), epochs=1, batch_size=10, rng=rng, patience=3)
    with pytest.raises(ValueError, match="brings its own hidden"):
        train(params, X, y, net=DeepNet([2, 4, 1]), hidden="tanh", lr=0.1, steps=1,
              batch_size=4, rng=rng)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        train(params, X, y, lr=0.1, epochs=1, batch_size=4, rng=0)


def test_progress_bar_only_when_asked_for(monkeypatch, capsys):
    rng = np.random.default_rng(0)
    X, y = _toy(rng, 8)
    params = init_params([2, 4, 1], rng)
    settings = dict(epochs=2, batch_size=4, lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(params, X, y, rng=np.random.default_rng(0), **settings)
    assert capsys.readouterr().err == ""  # the default: no bar
    train(params, X, y, rng=np.random.default_rng(0), progress=True, **settings)
    assert "training" in capsys.readouterr().err  # tqdm writes its bar to stderr
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    result = train(params, X, y, rng=np.random.default_rng(0), progress=True, **settings)
    assert result.history.epochs == 2
    assert capsys.readouterr().err == ""
