"""What every chapter's figures share: rendering a figure to PNG bytes."""

from __future__ import annotations

import io

from matplotlib.figure import Figure


def figure_png(fig: Figure, dpi: int = 90) -> bytes:
    """Render a figure to PNG bytes (for image widgets and static fallbacks)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
