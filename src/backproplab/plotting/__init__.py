"""The book's figures, one module per chapter, drawn onto matplotlib axes the caller owns.

Each ``draw_*`` function takes axes and data and draws, so a chapter can place it in any
layout and a widget can redraw it; each ``*_figure`` function builds a whole figure (what a
widget of ``backproplab.widgets`` shows). Nothing here touches pyplot's global state, and
nothing here computes what the book's numeric modules compute: the figures draw their
results. The modules mirror ``book/``:

- ``common``: ``figure_png`` (a figure as PNG bytes), shared by all chapters;
- ``derivatives``: chapter 1 (``book/01-derivatives.md``);
- ``chain_rule``: chapter 2 (``book/02-chain-rule.md``);
- ``delta_formulas``: chapter 3 (``book/03-delta-formulas.md``);
- ``gradient_descent``: chapter 4 (``book/04-gradient-descent.md``);
- ``vanishing_exploding``: chapter 5 (``book/05-vanishing-exploding.md``);
- ``frameworks``: chapter 6 (``book/06-frameworks.md``).
"""
