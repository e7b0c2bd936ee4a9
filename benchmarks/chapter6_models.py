"""Chapter 6's models on the full Rotten Tomatoes data: training times and accuracies.

Runs what ``book/06-frameworks.md`` runs, with the settings chosen for its 90-second
budget: the data (12,752 snippets after removing exact duplicates; 70 % train, 10 %
validation, 20 % test, split with seed 6), a vocabulary of the 5,000 most frequent training
words, texts padded to 40 tokens (the 95th percentile is printed), and then

1. the majority baseline;
2. logistic regression on a binary bag of words (``sentiment.train_logistic_regression``);
3. PyTorch's ``SentimentLSTM`` (embedding 32, hidden 32, dropout 0.3, 5 epochs, Adam
   lr 0.005, batches of 64, one thread), timed with one and with two threads;
4. Keras' CNN-LSTM (``keras_models.build_cnn_lstm``, 3 epochs), with the time of
   ``import keras``.

Prints one line per result. Run: ``python benchmarks/chapter6_models.py``. Timings depend
on what else the machine is doing; the load average is printed with them.
"""

from __future__ import annotations

import os
import time

import numpy as np

from backproplab import sentiment

SEED, VOCABULARY_SIZE, LENGTH = 6, 5000, 40


def data():
    reviews = sentiment.load_reviews()
    parts = sentiment.split(len(reviews.texts), np.random.default_rng(SEED))
    vocabulary = sentiment.Vocabulary.from_texts([reviews.texts[i] for i in parts.train],
                                                 max_size=VOCABULARY_SIZE)
    ids = [vocabulary.encode_all([reviews.texts[i] for i in rows]) for rows in parts]
    labels = [reviews.labels[rows] for rows in parts]
    print(f"snippets: {reviews.n_read} labelled, {reviews.n_duplicates} duplicates dropped, "
          f"{len(reviews.texts)} kept; train/val/test {[len(p) for p in parts]}; "
          f"tokens per snippet: 95th percentile "
          f"{np.percentile(sentiment.lengths(reviews.texts), 95):.0f}")
    return vocabulary, ids, labels


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    vocabulary, ids, labels = data()
    print(f"majority baseline (test): "
          f"{sentiment.majority_baseline(labels[0], labels[2]):.3f}")

    start = time.perf_counter()
    X_bow = [sentiment.bag_of_words(i, len(vocabulary)) for i in ids]
    result = sentiment.train_logistic_regression(X_bow[0], labels[0], X_bow[1], labels[1],
                                                 rng=np.random.default_rng(0), epochs=4)
    test = sentiment.logistic_regression_accuracy(result.params, X_bow[2], labels[2])
    print(f"logistic regression on a bag of words: {time.perf_counter() - start:.1f} s, "
          f"val {result.history.val_accuracy[-1]:.3f}, test {test:.3f}")
    del X_bow

    start = time.perf_counter()
    from backproplab import torch_models
    print(f"import torch: {time.perf_counter() - start:.1f} s")
    X = [sentiment.pad(i, LENGTH) for i in ids]
    for threads in (1, 2):
        model = torch_models.SentimentLSTM(len(vocabulary), 32, 32, dropout=0.3, seed=0)
        start = time.perf_counter()
        history = torch_models.train_sentiment(model, X[0], labels[0], X[1], labels[1],
                                               epochs=5, lr=0.005, seed=0, threads=threads,
                                               progress=False)
        print(f"PyTorch LSTM, {threads} thread(s): {time.perf_counter() - start:.1f} s, "
              f"val {history['val_accuracy'][-1]:.3f}, "
              f"test {torch_models.accuracy(model, X[2], labels[2]):.3f}")

    start = time.perf_counter()
    from backproplab import keras_models
    print(f"import keras ({keras_models.backend_name()}): "
          f"{time.perf_counter() - start:.1f} s")
    model = keras_models.build_cnn_lstm(len(vocabulary), LENGTH, seed=0)
    start = time.perf_counter()
    history = model.fit(X[0], labels[0], validation_data=(X[1], labels[1]), epochs=3,
                        batch_size=64, **keras_models.FIT_QUIET)
    _, test = model.evaluate(X[2], labels[2], verbose=0)
    print(f"Keras CNN-LSTM: fit {time.perf_counter() - start:.1f} s, "
          f"val {history.history['val_accuracy'][-1]:.3f}, test {test:.3f}")
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
