"""The book's interactive demos (ipywidgets), one module per chapter, thin layers over pure
functions: a demo calls the numeric modules and a figure of ``backproplab.plotting``.

Each demo is an object with its controls as attributes and an ``update()`` method, so tests
and benchmarks can set the controls and check what was computed without a browser. Shown in
a notebook, a demo offers two representations: the live widget (used when a kernel is
running) and a PNG of its current figure (used on the static website, where no kernel can
redraw it). The modules mirror ``book/``:

- ``common``: ``Demo``, the base of every demo;
- ``derivatives``: ``DerivativeExplorer``, chapter 1 (``book/01-derivatives.md``);
- ``chain_rule``: ``BackwardStepper``, chapter 2 (``book/02-chain-rule.md``);
- ``delta_formulas``: ``DeltaExplorer``, chapter 3 (``book/03-delta-formulas.md``);
- ``gradient_descent``: ``OptimizerLab``, chapter 4 (``book/04-gradient-descent.md``);
- ``vanishing_exploding``: ``GradientFlow``, chapter 5 (``book/05-vanishing-exploding.md``);
- ``frameworks``: ``TimeGradients``, chapter 6 (``book/06-frameworks.md``).
"""
