"""Backprop Lab's helper package: the code the book's chapters show and run.

One module per chapter topic (``derivatives`` for chapter 1, ``autograd`` for chapter 2),
plus shared modules (``plotting``, ``widgets``, ``checks``). Importing the package needs
only NumPy and SymPy; ``plotting`` needs matplotlib and ``widgets`` needs ipywidgets.
"""

__version__ = "0.1.0"
