"""Chapter 6's Keras model (backproplab.keras_models): the CNN-LSTM learns on a subset with
TensorFlow, runs unchanged on the PyTorch backend, and prints nothing on import and fit.

Each backend runs in a subprocess (Keras chooses its backend once, on import), which also
lets the test read everything the process writes to stdout and stderr."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("keras")

SCRIPT = r"""
import json, sys
import numpy as np
if sys.argv[1] == "torch":
    import torch
    torch.set_num_threads(1)
from backproplab.keras_models import FIT_QUIET, backend_name, build_cnn_lstm, quiet_logs
from backproplab.sentiment import Vocabulary, load_reviews, pad

quiet_logs()
n = int(sys.argv[2])
reviews = load_reviews()
rows = np.random.default_rng(2).permutation(len(reviews.texts))[:n]
texts, y = [reviews.texts[i] for i in rows], reviews.labels[rows]
n_train, n_val = int(0.7 * n), int(0.15 * n)
vocabulary = Vocabulary.from_texts(texts[:n_train], max_size=2000)
X = pad(vocabulary.encode_all(texts), 30)
model = build_cnn_lstm(len(vocabulary), 30, embedding_dim=16, filters=16, lstm_units=16,
                       lr=0.01, seed=0)
history = model.fit(X[:n_train], y[:n_train], epochs=int(sys.argv[3]), batch_size=64,
                    validation_data=(X[n_train:n_train + n_val], y[n_train:n_train + n_val]),
                    **FIT_QUIET)
_, test_accuracy = model.evaluate(X[n_train + n_val:], y[n_train + n_val:], verbose=0)
y_test = y[n_train + n_val:]
try:
    build_cnn_lstm(10, 3, kernel_size=5, seed=0)
    error = ""
except ValueError as e:
    error = str(e)
p = model.predict(X[:5], verbose=0)
print(json.dumps({"backend": backend_name(), "history": history.history,
                  "test_accuracy": float(test_accuracy),
                  "majority": float(max(y_test.mean(), 1 - y_test.mean())),
                  "layers": [layer.__class__.__name__ for layer in model.layers],
                  "p": [float(v) for v in np.ravel(p)], "error": error}))
"""


def run(backend: str, n: int, epochs: int) -> tuple[dict, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL")}
    env["KERAS_BACKEND"] = backend
    done = subprocess.run([sys.executable, "-c", SCRIPT, backend, str(n), str(epochs)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, f"more than the result on stdout: {done.stdout[:2000]}"
    return json.loads(lines[0]), done.stderr


@pytest.fixture(scope="module")
def tensorflow_run():
    return run("tensorflow", 3000, 3)


def test_the_cnn_lstm_learns_on_a_subset(tensorflow_run):
    result, _ = tensorflow_run
    assert result["backend"] == "tensorflow"
    assert result["layers"] == ["Embedding", "Conv1D", "MaxPooling1D", "LSTM", "Dense"]
    history = result["history"]
    assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(values) == 3 for values in history.values())
    assert history["loss"][-1] < history["loss"][0]
    assert result["test_accuracy"] > result["majority"] + 0.05
    assert all(0 < p < 1 for p in result["p"])


def test_import_and_fit_print_nothing(tensorflow_run):
    _, stderr = tensorflow_run
    assert stderr.strip() == "", f"printed on stderr: {stderr[:2000]}"


def test_a_too_short_length_says_what_to_change(tensorflow_run):
    result, _ = tensorflow_run
    assert "kernel_size" in result["error"] and "pad the texts" in result["error"]


def test_the_same_code_runs_on_the_pytorch_backend():
    result, _ = run("torch", 600, 1)
    assert result["backend"] == "torch"
    assert sorted(result["history"]) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(0 < p < 1 for p in result["p"])
