"""Chapter 6's PyTorch code: chapter 3's network in PyTorch, and an LSTM sentiment model.

Chapter 6 of the book, ``book/06-frameworks.md`` (backpropagation in frameworks).

**Our network in PyTorch.** :func:`torch_mlp` builds chapter 3's MLP (``backproplab.mlp``)
as an ``nn.Sequential`` of ``nn.Linear`` layers and activation modules in float64, with our
weights copied in. The one change is the layout: ``nn.Linear`` computes
``z = a_prev @ weight.T + bias`` and stores ``weight`` as (n_out, n_in), so
``weight = W.T`` and ``bias = b``. :func:`torch_loss` is our loss written with PyTorch's
functions, :func:`torch_gradients` brings ``loss.backward()``'s gradients back to our
layout (``dW = weight.grad.T``), and :func:`gradient_differences` puts both side by side.
:func:`torch_recurrent` and :func:`torch_recurrent_gradients` do the same for the plain
RNN and the LSTM of ``backproplab.rnn`` (``nn.RNN``, ``nn.LSTM``).

**A sentiment model.** :class:`SentimentLSTM` reads padded word ids
(``backproplab.sentiment.pad``) through an embedding and an LSTM (``nn.LSTM`` is the LSTM
of ``backproplab.rnn``, gates [i, f, g, o]) and scores the last hidden state with one
logit; :func:`train_sentiment` is the usual PyTorch loop (zero_grad, backward, step) with
Adam and ``BCEWithLogitsLoss``; :func:`accuracy` and :func:`predict_sentences` use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from backproplab.activations import get_activation, get_hidden_activation
from backproplab.i18n import gettext as _
from backproplab.mlp import loss_and_gradients
from backproplab.optimizers import minibatches
from backproplab.sentiment import Vocabulary, pad
from backproplab.training import finish_progress_bar, progress_bar
from backproplab.validation import Params, check_lr, check_params, check_whole

# ---------------------------------------------------------------------------------------
# Chapter 3's network in PyTorch
# ---------------------------------------------------------------------------------------

ACTIVATION_MODULES = {"identity": nn.Identity, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
                      "relu": nn.ReLU, "softmax": lambda: nn.Softmax(dim=1)}
"""Our activations' names and the PyTorch modules that compute them."""


def _activation_module(name: str) -> nn.Module:
    if name not in ACTIVATION_MODULES:
        raise ValueError(_("no PyTorch module is set for the activation {name!r}; use one "
                           "of {choices}.").format(name=name, choices=list(ACTIVATION_MODULES)))
    return ACTIVATION_MODULES[name]()


def torch_mlp(params, hidden="sigmoid", output="identity") -> nn.Sequential:
    """Chapter 3's network ``params`` (``mlp.init_params``: a list of ``{"W", "b"}``) as
    ``nn.Sequential(Linear, hidden activation, ..., Linear, output activation)``.

    Every layer ends with its activation module (``nn.Identity`` for "identity"), so
    ``net[:-1]`` computes ``z_out`` and ``net`` computes ``y_hat``. Weights are copied in
    the parameters' dtype (float64 for a comparison to 1e-12) with the layout change
    ``weight = W.T`` (``nn.Linear`` stores (n_out, n_in)) and ``bias = b``.
    """
    dtype = getattr(torch, str(check_params(params)))
    hidden_name = get_hidden_activation(hidden).name
    output_name = get_activation(output).name
    modules = []
    for l, layer in enumerate(params, start=1):
        n_in, n_out = layer["W"].shape
        linear = nn.Linear(n_in, n_out, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layer["W"].T.copy()))
            linear.bias.copy_(torch.from_numpy(layer["b"].copy()))
        modules += [linear, _activation_module(output_name if l == len(params) else
                                               hidden_name)]
    return nn.Sequential(*modules)


def torch_loss(net: nn.Sequential, X, y, loss="mse") -> torch.Tensor:
    """Our loss (``backproplab.losses``) of ``net`` on (X, y), as a PyTorch scalar.

    Each is a sum over the outputs and a mean over the batch m, as ours are:

    - ``"mse"``: our L = 1/(2m) Σ‖y_hat − y‖² is ``F.mse_loss(y_hat, y,
      reduction="sum") / (2 m)``. PyTorch's default ``nn.MSELoss()`` (reduction "mean")
      divides by m·n_out and has no ½: it is our loss times 2 / n_out, and so are its
      gradients.
    - ``"binary_cross_entropy"``: ``F.binary_cross_entropy_with_logits(z_out, y,
      reduction="sum") / m`` from ``z_out = net[:-1](X)`` (the sigmoid is inside it).
    - ``"cross_entropy"``: ``F.cross_entropy(z_out, y, reduction="sum") / m`` (the
      softmax is inside it); y is class labels or one-hot rows.
    """
    X = torch.as_tensor(np.asarray(X), dtype=net[0].weight.dtype)
    y = np.asarray(y)
    m = X.shape[0]
    z_out = net[:-1](X)
    if loss == "cross_entropy":
        target = (torch.as_tensor(y, dtype=torch.long) if y.ndim == 1
                  else torch.as_tensor(y, dtype=z_out.dtype))
        return F.cross_entropy(z_out, target, reduction="sum") / m
    target = torch.as_tensor(y.reshape(z_out.shape), dtype=z_out.dtype)
    if loss == "binary_cross_entropy":
        return F.binary_cross_entropy_with_logits(z_out, target, reduction="sum") / m
    if loss == "mse":
        return F.mse_loss(net[-1](z_out), target, reduction="sum") / (2 * m)
    raise ValueError(_("unknown loss {loss!r}: choose 'mse', 'cross_entropy' or "
                       "'binary_cross_entropy'.").format(loss=loss))


def torch_gradients(net: nn.Sequential) -> Params:
    """The gradients ``loss.backward()`` left in ``net``'s Linear layers, in our layout:
    ``[{"W": weight.grad.T, "b": bias.grad}, ...]`` as NumPy arrays (n_in, n_out), (n_out,).
    """
    linears = [module for module in net if isinstance(module, nn.Linear)]
    if any(linear.weight.grad is None for linear in linears):
        raise ValueError(_("the network has no gradients yet: call loss.backward() first."))
    return [{"W": linear.weight.grad.T.detach().numpy().copy(),
             "b": linear.bias.grad.detach().numpy().copy()} for linear in linears]


def gradient_differences(params, X, y, hidden="sigmoid", output="identity",
                         loss="mse") -> list[dict[str, float]]:
    """max |ours − PyTorch's| for every layer's dW and db: ``[{"W": ..., "b": ...}, ...]``.

    Ours from ``mlp.loss_and_gradients``; PyTorch's from :func:`torch_mlp`,
    :func:`torch_loss` and ``loss.backward()``, brought back by :func:`torch_gradients`.
    """
    _, ours = loss_and_gradients(params, X, y, hidden, output, loss)
    net = torch_mlp(params, hidden, output)
    torch_loss(net, X, y, loss).backward()
    theirs = torch_gradients(net)
    return [{key: float(np.max(np.abs(a[key] - b[key]))) for key in ("W", "b")}
            for a, b in zip(ours, theirs)]


# ---------------------------------------------------------------------------------------
# backproplab.rnn's networks in PyTorch
# ---------------------------------------------------------------------------------------

RECURRENT_LAYERS = {"rnn": 1, "lstm": 4}
"""The recurrent networks of ``backproplab.rnn`` and how many gate blocks W_x has."""


def torch_recurrent(params, kind="lstm") -> tuple[nn.Module, nn.Linear]:
    """``backproplab.rnn``'s network ``params`` (keys ``rnn.KEYS``) as PyTorch's
    ``(layer, head)``: ``nn.RNN`` (tanh) or ``nn.LSTM`` with ``batch_first=True``, and the
    ``nn.Linear`` output layer, in the parameters' dtype.

    The layout change of ``rnn``'s docstring: ``weight_ih_l0 = W_x.T``,
    ``weight_hh_l0 = W_h.T`` (the LSTM's gates in the same order [i, f, g, o]),
    ``bias_ih_l0 = b`` and ``bias_hh_l0 = 0`` (PyTorch adds the two), ``head.weight =
    W_y.T``, ``head.bias = b_y``. ``head(outputs[:, -1])`` is our ``z_out``.
    """
    if kind not in RECURRENT_LAYERS:
        raise ValueError(_("kind must be one of {kinds}; got {kind!r}.").format(
            kinds=list(RECURRENT_LAYERS), kind=kind))
    arrays = {key: np.asarray(params[key]) for key in ("W_x", "W_h", "b", "W_y", "b_y")}
    n_in, width = arrays["W_x"].shape
    n_h = width // RECURRENT_LAYERS[kind]
    if arrays["W_h"].shape != (n_h, width):
        raise ValueError(_("params do not describe a {kind!r} network: W_x {W_x} and W_h "
                           "{W_h}; build them with rnn.init_{kind}_params.").format(
            kind=kind, W_x=arrays["W_x"].shape, W_h=arrays["W_h"].shape))
    dtype = getattr(torch, str(arrays["W_x"].dtype))
    layer = (nn.RNN(n_in, n_h, nonlinearity="tanh", batch_first=True, dtype=dtype)
             if kind == "rnn" else nn.LSTM(n_in, n_h, batch_first=True, dtype=dtype))
    head = nn.Linear(n_h, arrays["W_y"].shape[1], dtype=dtype)
    copies = {layer.weight_ih_l0: arrays["W_x"].T, layer.weight_hh_l0: arrays["W_h"].T,
              layer.bias_ih_l0: arrays["b"], layer.bias_hh_l0: np.zeros_like(arrays["b"]),
              head.weight: arrays["W_y"].T, head.bias: arrays["b_y"]}
    with torch.no_grad():
        for tensor, array in copies.items():
            tensor.copy_(torch.from_numpy(np.ascontiguousarray(array)))
    return layer, head


def torch_recurrent_gradients(layer: nn.Module, head: nn.Linear) -> dict[str, np.ndarray]:
    """The gradients ``loss.backward()`` left in :func:`torch_recurrent`'s ``(layer,
    head)``, in ``rnn``'s layout and keys: W_x = weight_ih_l0.grad.T, W_h =
    weight_hh_l0.grad.T, b = bias_ih_l0.grad (bias_hh_l0 gets the same), W_y, b_y."""
    if layer.weight_ih_l0.grad is None or head.weight.grad is None:
        raise ValueError(_("the network has no gradients yet: call loss.backward() first."))
    tensors = {"W_x": layer.weight_ih_l0.grad.T, "W_h": layer.weight_hh_l0.grad.T,
               "b": layer.bias_ih_l0.grad, "W_y": head.weight.grad.T, "b_y": head.bias.grad}
    return {key: tensor.detach().numpy().copy() for key, tensor in tensors.items()}


# ---------------------------------------------------------------------------------------
# An LSTM that reads a review
# ---------------------------------------------------------------------------------------

class SentimentLSTM(nn.Module):
    """Word ids (batch, length) → one logit per text (batch,): positive if > 0.

    ``nn.Embedding(vocab_size, embedding_dim, padding_idx=0)`` turns each id into a vector
    (padding into zeros, and it never learns), ``nn.LSTM(embedding_dim, hidden_size,
    batch_first=True)`` reads them left to right, and ``nn.Linear(hidden_size, 1)`` scores
    the last hidden state h_T. During training, ``dropout`` zeroes that fraction of the
    embedded word vectors' entries and of h_T's (``nn.Dropout``, off in ``model.eval()``).
    Pad at the start (``sentiment.pad``), so that h_T comes
    right after the text's last word. The weights are drawn from PyTorch's generator seeded
    with ``seed`` (the global generator is left as it was).
    """

    def __init__(self, vocab_size: int, embedding_dim=32, hidden_size=32, dropout=0.0, *,
                 seed: int):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.embedding = nn.Embedding(check_whole(vocab_size, "vocab_size"),
                                          check_whole(embedding_dim, "embedding_dim"),
                                          padding_idx=0)
            self.lstm = nn.LSTM(embedding_dim, check_whole(hidden_size, "hidden_size"),
                                batch_first=True)
            self.output = nn.Linear(hidden_size, 1)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits (batch,) for word ids (batch, length)."""
        if ids.dtype != torch.long or ids.ndim != 2:
            raise ValueError(_("the model reads word ids as a (batch, length) tensor of "
                               "int64 (torch.long), such as torch.as_tensor(pad(...)); got "
                               "{shape} of {dtype}.").format(shape=tuple(ids.shape),
                                                              dtype=ids.dtype))
        if ids.numel() and int(ids.max()) >= self.embedding.num_embeddings:
            raise ValueError(_("word id {id} is outside the embedding's {rows} rows: encode "
                               "with the vocabulary the model was built for.").format(
                id=int(ids.max()), rows=self.embedding.num_embeddings))
        _outputs, (h_n, _c_n) = self.lstm(self.dropout(self.embedding(ids)))
        return self.output(self.dropout(h_n[-1])).squeeze(1)


def _tensors(X, y=None):
    X = torch.as_tensor(np.asarray(X), dtype=torch.long)
    if y is None:
        return X
    y = torch.as_tensor(np.asarray(y), dtype=torch.float32)
    if y.shape != (X.shape[0],):
        raise ValueError(_("y must hold one 0/1 label per row of X, shape ({m},); "
                           "got {shape}.").format(m=X.shape[0], shape=tuple(y.shape)))
    return X, y


@torch.no_grad()
def logits(model: nn.Module, X, batch_size=1024) -> torch.Tensor:
    """The model's logits (n,) for word ids X (n, length), in evaluation mode."""
    model.eval()
    X = _tensors(X)
    return torch.cat([model(X[start:start + batch_size])
                      for start in range(0, len(X), batch_size)])


def evaluate(model: nn.Module, X, y) -> tuple[float, float]:
    """``(mean BCEWithLogitsLoss, accuracy)`` of the model on word ids X and 0/1 labels y."""
    X, y = _tensors(X, y)
    z = logits(model, X)
    return (float(F.binary_cross_entropy_with_logits(z, y)),
            float(((z > 0).float() == y).float().mean()))


def accuracy(model: nn.Module, X, y) -> float:
    """The fraction of texts (word ids X, labels y) whose class the model gets right
    (positive when the logit is > 0, i.e. the probability > 0.5)."""
    return evaluate(model, X, y)[1]


def train_sentiment(model: nn.Module, X_train, y_train, X_val, y_val, *, epochs=5,
                    lr=0.005, batch_size=64, seed: int, threads=1,
                    progress=True) -> dict[str, list]:
    """Train ``model`` in place with Adam(lr) on ``BCEWithLogitsLoss``; return the history.

    Every epoch shuffles the training rows into batches (``optimizers.minibatches`` with a
    NumPy generator seeded with ``seed``; dropout draws from PyTorch's generator seeded
    with ``seed``, so the same call gives the same history); every batch takes the three steps of a PyTorch loop: ``optimizer.zero_grad()``
    (gradients add up otherwise), ``loss.backward()`` (backpropagation through the LSTM)
    and ``optimizer.step()``. The history has Keras' keys (``History.history``), one value
    per epoch: ``"loss"`` and ``"accuracy"`` are the means over the epoch's batches, as
    Keras reports them (measured while the weights change), ``"val_loss"`` and
    ``"val_accuracy"`` are measured on (X_val, y_val) after the epoch. ``progress=True``
    shows a progress bar (``training.progress_bar``). PyTorch computes with ``threads``
    threads during training (:func:`torch_threads`; restored afterwards): on the book's
    2-core build machine with other work running, two threads were ten times slower than
    one (``benchmarks/chapter6_models.py``: 32 s against 340 s for 5 epochs), as the
    threads wait for each other.
    """
    epochs = check_whole(epochs, "epochs")
    X_train, y_train = _tensors(X_train, y_train)
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=check_lr(lr))
    loss_function = nn.BCEWithLogitsLoss()
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    bar = progress_bar(epochs, progress)
    with torch_threads(threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # for dropout; the global generator is restored after
        for _ in range(epochs):
            model.train()
            total_loss, total_right = 0.0, 0.0
            for rows in minibatches(len(X_train), batch_size, rng):
                X, y = X_train[rows], y_train[rows]
                optimizer.zero_grad()
                z = model(X)
                loss = loss_function(z, y)
                loss.backward()
                optimizer.step()
                total_loss += float(loss.detach()) * len(rows)
                total_right += float(((z.detach() > 0) == y.bool()).sum())
            history["loss"].append(total_loss / len(X_train))
            history["accuracy"].append(total_right / len(X_train))
            val_loss, val_accuracy = evaluate(model, X_val, y_val)
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(val_accuracy)
            if bar is not None:
                bar.set_postfix({"loss": f"{total_loss / len(X_train):.4g}",
                                 "val_acc": f"{val_accuracy:.3f}"}, refresh=False)
                bar.update(1)
    finish_progress_bar(bar)
    return history


@contextmanager
def torch_threads(threads: int):
    """Within the ``with`` block PyTorch computes with ``threads`` threads
    (``torch.set_num_threads``); the number before is restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(check_whole(threads, "threads"))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def predict_sentences(model: nn.Module, vocabulary: Vocabulary, sentences: Sequence[str],
                      length: int) -> np.ndarray:
    """The model's probability that each sentence is positive, (n,) in (0, 1).

    The sentences go the way of the training texts: ``vocabulary.encode`` (unknown words
    become 1), ``pad`` to ``length``, the model's logit, and the sigmoid.
    """
    if isinstance(sentences, str):
        sentences = [sentences]
    X = pad(vocabulary.encode_all(sentences), length)
    return torch.sigmoid(logits(model, X)).double().numpy()


__all__ = [
    "ACTIVATION_MODULES", "RECURRENT_LAYERS", "SentimentLSTM", "accuracy", "evaluate", "gradient_differences",
    "logits", "predict_sentences", "torch_gradients", "torch_loss", "torch_mlp",
    "torch_recurrent", "torch_recurrent_gradients", "torch_threads", "train_sentiment",
]
