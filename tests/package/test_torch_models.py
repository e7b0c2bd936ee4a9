"""Chapter 6's PyTorch code (backproplab.torch_models): chapter 3's network in PyTorch gives
our gradients (float64), and the LSTM sentiment model learns, predicts probabilities and
reports Keras' history keys."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from backproplab.mlp import init_params, loss_and_gradients, one_hot  # noqa: E402
from backproplab.sentiment import Vocabulary, load_reviews, pad  # noqa: E402
from backproplab.torch_models import (  # noqa: E402
    SentimentLSTM,
    accuracy,
    gradient_differences,
    predict_sentences,
    torch_gradients,
    torch_loss,
    torch_mlp,
    torch_threads,
    train_sentiment,
)

RTOL = 1e-12  # the same float64 arithmetic in two libraries


@pytest.mark.parametrize("hidden, output, loss, y_kind", [
    ("sigmoid", "identity", "mse", "one_hot"),
    ("tanh", "sigmoid", "mse", "one_hot"),
    ("relu", "softmax", "cross_entropy", "labels"),
    ("sigmoid", "softmax", "cross_entropy", "one_hot"),
    ("tanh", "sigmoid", "binary_cross_entropy", "binary"),
])
def test_torch_gradients_are_ours(hidden, output, loss, y_kind):
    rng = np.random.default_rng(3)
    params = init_params([4, 5, 3, 3 if y_kind != "binary" else 1], rng)
    X = rng.normal(size=(7, 4))
    labels = rng.integers(0, 3, size=7)
    y = {"one_hot": one_hot(labels, 3), "labels": labels,
         "binary": (labels > 0).astype(float)}[y_kind]
    value, ours = loss_and_gradients(params, X, y, hidden, output, loss)
    net = torch_mlp(params, hidden, output)
    assert net[0].weight.dtype == torch.float64
    assert np.array_equal(net[0].weight.detach().numpy(), params[0]["W"].T)
    theirs_loss = torch_loss(net, X, y, loss)
    assert float(theirs_loss.detach()) == pytest.approx(value, rel=RTOL)
    theirs_loss.backward()
    theirs = torch_gradients(net)
    for a, b in zip(ours, theirs):
        for key in ("W", "b"):
            assert a[key].shape == b[key].shape
            scale = np.max(np.abs(a[key]))
            assert np.max(np.abs(a[key] - b[key])) <= RTOL * scale


def test_gradient_differences_are_tiny_and_torch_mean_mse_is_not_ours():
    rng = np.random.default_rng(4)
    params = init_params([3, 4, 3], rng)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    differences = gradient_differences(params, X, y)
    assert len(differences) == 2 and all(d["W"] < 1e-14 and d["b"] < 1e-14 for d in differences)
    value, _ = loss_and_gradients(params, X, y)
    net = torch_mlp(params)
    torch_default = torch.nn.MSELoss()(net(torch.as_tensor(X)), torch.as_tensor(y))
    n_out = y.shape[1]  # MSELoss averages over m * n_out entries and has no 1/2
    assert float(torch_default.detach()) == pytest.approx(value * 2 / n_out, rel=1e-12)
    assert float(torch_loss(net, X, y).detach()) == pytest.approx(value, rel=1e-12)


def test_errors_say_what_to_do():
    params = init_params([2, 1], np.random.default_rng(0))
    with pytest.raises(ValueError, match="backward"):
        torch_gradients(torch_mlp(params))
    with pytest.raises(ValueError, match="choose"):
        torch_loss(torch_mlp(params), np.zeros((1, 2)), np.zeros((1, 1)), "hinge")
    model = SentimentLSTM(10, 4, 4, seed=0)
    with pytest.raises(ValueError, match="int64"):
        model(torch.zeros((2, 3)))
    with pytest.raises(ValueError, match="vocabulary the model was built for"):
        model(torch.full((2, 3), 10, dtype=torch.long))


def test_torch_threads_restores_the_number():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


@pytest.fixture(scope="module")
def subset():
    """3,000 snippets: 2,200 to train, 400 to validate, 400 to test, ids padded to 30."""
    reviews = load_reviews()
    rows = np.random.default_rng(2).permutation(len(reviews.texts))[:3000]
    texts, y = [reviews.texts[i] for i in rows], reviews.labels[rows]
    vocabulary = Vocabulary.from_texts(texts[:2200], max_size=2000)
    X = pad(vocabulary.encode_all(texts), 30)
    return vocabulary, (X[:2200], y[:2200]), (X[2200:2600], y[2200:2600]), (X[2600:], y[2600:])


def test_the_lstm_learns_on_a_subset_and_is_deterministic(subset):
    vocabulary, train, val, test = subset
    histories, models = [], []
    for _ in range(2):
        model = SentimentLSTM(len(vocabulary), 32, 16, dropout=0.3, seed=0)
        histories.append(train_sentiment(model, *train, *val, epochs=5, lr=0.01, seed=0,
                                         progress=False))
        models.append(model)
    history = histories[0]
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(values) == 5 for values in history.values())
    assert history == histories[1]
    assert history["loss"][-1] < history["loss"][0]
    majority = max(np.mean(test[1]), 1 - np.mean(test[1]))
    print(f"LSTM on the subset: test accuracy {accuracy(models[0], *test):.3f}, "
          f"majority {majority:.3f}")
    assert accuracy(models[0], *test) > majority + 0.05


def test_predict_sentences_gives_probabilities(subset):
    vocabulary, train, val, _ = subset
    model = SentimentLSTM(len(vocabulary), 8, 8, seed=1)
    train_sentiment(model, *train, *val, epochs=1, seed=1, progress=False)
    p = predict_sentences(model, vocabulary, ["A gorgeous, moving film.",
                                              "zzzz qqqq", "Dull and far too long."], 30)
    assert p.shape == (3,) and p.dtype == np.float64
    assert np.all((p > 0) & (p < 1))
    assert predict_sentences(model, vocabulary, "One sentence.", 30).shape == (1,)


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_torch_recurrent_gradients_are_ours(kind):
    from backproplab import rnn
    from backproplab.torch_models import torch_recurrent, torch_recurrent_gradients

    rng = np.random.default_rng(61)
    init = rnn.init_rnn_params if kind == "rnn" else rnn.init_lstm_params
    loss_and_grads = (rnn.rnn_loss_and_gradients if kind == "rnn"
                      else rnn.lstm_loss_and_gradients)
    params = init(3, 5, 1, rng)
    X, y = rng.normal(size=(4, 7, 3)), rng.integers(0, 2, 4).astype(float)
    value, back = loss_and_grads(params, X, y)
    layer, head = torch_recurrent(params, kind=kind)
    outputs, _ = layer(torch.from_numpy(X))
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        head(outputs[:, -1]).squeeze(1), torch.from_numpy(y))
    assert float(loss.detach()) == pytest.approx(float(value), rel=RTOL)
    loss.backward()
    theirs = torch_recurrent_gradients(layer, head)
    for key in rnn.KEYS:
        scale = np.max(np.abs(back.grads[key]))
        assert np.max(np.abs(back.grads[key] - theirs[key])) <= RTOL * scale
    with pytest.raises(ValueError, match="kind must be"):
        torch_recurrent(params, kind="gru")
