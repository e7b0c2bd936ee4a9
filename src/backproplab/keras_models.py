"""Chapter 6's Keras model: a convolution and an LSTM over word embeddings.

Chapter 6 of the book, ``book/06-frameworks.md`` (backpropagation in frameworks).
:func:`build_cnn_lstm` is the sentiment model of the course notes as a
``keras.Sequential``; ``model.fit`` trains it (backpropagation and Adam are inside) and
returns a ``History`` whose ``history`` dict has the keys ``"loss"``, ``"accuracy"``,
``"val_loss"``, ``"val_accuracy"`` — the keys ``torch_models.train_sentiment`` returns too.

Only ``keras.*`` is called (no ``tf.*``), so the module runs on every Keras 3 backend:
TensorFlow (the default) or PyTorch (``KERAS_BACKEND=torch`` set before Keras is imported);
:func:`backend_name` says which one is in use.

**Quiet output.** TensorFlow's C++ core writes lines such as "This TensorFlow binary is
optimized to use available CPU instructions ..." to stderr when it is imported, before any
Python setting can act; only the environment variable ``TF_CPP_MIN_LOG_LEVEL=3``, set before
the import, stops them. This module sets it (unless already set) before it imports Keras,
so a page that imports this module before Keras or TensorFlow prints nothing on import.
On fit, pass ``verbose=0`` (:data:`FIT_QUIET`), or Keras prints a progress line per epoch.
:func:`quiet_logs` also raises the Python loggers ``absl`` and ``tensorflow`` to ERROR.
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before Keras imports TensorFlow

import keras  # noqa: E402

from backproplab.i18n import gettext as _  # noqa: E402
from backproplab.validation import check_lr, check_whole  # noqa: E402

FIT_QUIET = {"verbose": 0}
"""``model.fit(..., **FIT_QUIET)``: no per-epoch progress lines on the page."""


def quiet_logs() -> None:
    """Raise the Python loggers of absl and TensorFlow to ERROR (no warnings on the page);
    TensorFlow's C++ lines are stopped by ``TF_CPP_MIN_LOG_LEVEL`` (module docstring)."""
    for name in ("absl", "tensorflow"):
        logging.getLogger(name).setLevel(logging.ERROR)


def backend_name() -> str:
    """The Keras backend in use: "tensorflow", "torch" or "jax"."""
    return keras.backend.backend()


def build_cnn_lstm(vocab_size: int, length: int, *, embedding_dim=32, filters=32,
                   kernel_size=5, pool_size=2, lstm_units=32, lr=0.005,
                   seed: int) -> keras.Sequential:
    """The course notes' sentiment model, compiled: word ids (batch, length) → P(positive).

    ``Embedding(vocab_size, embedding_dim)`` turns ids into vectors (batch, length,
    embedding_dim); ``Conv1D(filters, kernel_size, relu)`` slides over windows of
    ``kernel_size`` words (batch, length − kernel_size + 1, filters);
    ``MaxPooling1D(pool_size)`` keeps the largest value of each ``pool_size`` steps;
    ``LSTM(lstm_units)`` reads the pooled sequence and returns its last hidden state
    (batch, lstm_units); ``Dense(1, sigmoid)`` gives the probability of a positive review.
    Compiled with Adam(lr), the binary cross-entropy loss and the accuracy metric.
    ``keras.utils.set_random_seed(seed)`` seeds Python's, NumPy's and the backend's
    generators first, so the initial weights and the fit's shuffling repeat.
    """
    vocab_size, length = check_whole(vocab_size, "vocab_size"), check_whole(length, "length")
    if length < kernel_size:
        raise ValueError(_("length {length} is shorter than the convolution's kernel_size "
                           "{kernel_size}: pad the texts to at least {kernel_size} ids or "
                           "use a smaller kernel_size.").format(length=length,
                                                                 kernel_size=kernel_size))
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(length,), dtype="int32"),
        keras.layers.Embedding(vocab_size, check_whole(embedding_dim, "embedding_dim")),
        keras.layers.Conv1D(check_whole(filters, "filters"), kernel_size, activation="relu"),
        keras.layers.MaxPooling1D(check_whole(pool_size, "pool_size")),
        keras.layers.LSTM(check_whole(lstm_units, "lstm_units")),
        keras.layers.Dense(1, activation="sigmoid"),
    ], name="cnn_lstm")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=check_lr(lr)),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


__all__ = ["FIT_QUIET", "backend_name", "build_cnn_lstm", "quiet_logs"]
