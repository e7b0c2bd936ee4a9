"""What every chapter's demos share: ``Demo``, a widget tree and the PNG of its figure."""

from __future__ import annotations

import base64

import ipywidgets as ipw


class Demo:
    """Base of the book's demos: a widget tree ``self.widget`` and a current PNG."""

    widget: ipw.Widget
    png: bytes = b""

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude))
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        return bundle
