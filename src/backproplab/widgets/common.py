"""What every chapter's demos share: ``Demo``, a widget tree and the PNG of its figure."""

from __future__ import annotations

import base64

import ipywidgets as ipw
from matplotlib.figure import Figure

from ..plotting.common import figure_png


class Demo:
    """Base of the book's demos: a widget tree ``self.widget``, an image widget
    ``self.image`` and ``self.png``, the PNG it shows (also the static website's picture)."""

    widget: ipw.Widget
    image: ipw.Image
    png: bytes = b""

    def show(self, fig: Figure) -> None:
        """Render ``fig`` (built by a function of ``backproplab.plotting``) as the demo's PNG."""
        self.png = figure_png(fig)
        self.image.value = self.png

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude))
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        return bundle
