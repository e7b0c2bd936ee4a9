"""Backprop Lab's helper package: the code the book's chapters show and run.

One module per chapter topic — ``derivatives`` (chapter 1), ``autograd`` and ``forward_mode`` (chapter 2),
``mlp`` (chapter 3), ``optimizers`` and ``surfaces`` (chapter 4), ``deepnets`` (chapter 5),
``rnn`` and ``time_gradients`` (chapter 6, backpropagation through time), ``sentiment``,
``torch_models`` and ``keras_models`` (chapter 6, the review data and the framework models)
— plus shared modules: ``i18n`` (messages in the reader's language,
at the very bottom), ``validation`` (argument checks), ``activations``, ``losses``,
``gradcheck``, ``training`` (the one training loop, above ``mlp``, ``optimizers`` and ``deepnets``), ``plotting`` and
``widgets`` (one module per chapter), ``checks`` (homework tests), ``variants`` and
``homework`` (per-student homework), and the Sphinx extensions of the site:
``sphinxext`` (the book's Binder links), ``sphinx_i18n`` (the Indonesian edition's language
switch and glue in translations), ``sphinx_glossary`` (the terms tables from one glossary),
``sphinx_site`` (site-wide fixes found by the browser check). The autograder
is a distribution of its own (``backproplab_grader``, ``grader/``); this package knows
nothing of it. Importing the package and its numeric modules needs only NumPy and SymPy;
``plotting`` needs matplotlib, ``widgets`` ipywidgets, ``mlp.load_digits_dataset``
scikit-learn, ``torch_models`` PyTorch and ``keras_models`` Keras 3 (chapter 6's runtime,
requirements-frameworks.txt).
"""

__version__ = "0.1.0"
