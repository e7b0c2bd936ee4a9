"""Homework 3, the delta formulas (chapter 3, ``book/03-delta-formulas.md``): each student's
network.

Every student backpropagates through their own small network: two hidden layers with two
*different* activations the chapter did not use (leaky ReLU with slope ``a``, ELU with
``alpha``, softplus with sharpness ``beta``), an output activation (sigmoid, tanh or
softplus) with a loss the chapter did not use (squared error, pseudo-Huber with ``kappa``,
log-cosh with scale ``s``), and an L2 penalty ``lam/2 Σ‖W‖²`` on the weights. The variant
gives the *forward* pass (``activate``, ``forward``, ``loss``) — the task — never a
derivative: the deltas are the student's to derive.

``compare`` is the homework tests' message helper: it says in a sentence what is wrong
(shape, NaN, or in which entries the values are wrong) without printing the expected value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backproplab.i18n import N_, ngettext
from backproplab.i18n import gettext as _
from backproplab.variants import Variant as BaseVariant
from backproplab.variants import normalise_student_id, student_rng

HOMEWORK = "hw03"
HIDDEN_ACTIVATIONS = ("leaky_relu", "elu", "softplus")
OUTPUT_ACTIVATIONS = ("sigmoid", "tanh", "softplus")
LOSSES = ("squared", "pseudo_huber", "log_cosh")
KINK_DISTANCE = 1e-3  # how far the data keep every hidden z from a kink at 0
OUTPUT_RANGE = 4.0    # how far from 0 the data keep every output z

_FORMULAS = {
    "leaky_relu": N_(r"f(z) = z \text{ for } z > 0,\ f(z) = a\,z \text{ for } z \le 0"),
    "elu": N_(r"f(z) = z \text{ for } z > 0,\ f(z) = \alpha\,(e^{z} - 1) \text{ for } z \le 0"),
    "softplus": r"f(z) = \tfrac{1}{\beta}\log\big(1 + e^{\beta z}\big)",
    "sigmoid": r"\hat y = \sigma(z) = \frac{1}{1 + e^{-z}}",
    "tanh": r"\hat y = \tanh z",
    "squared": r"\ell(\hat y, y) = \tfrac12(\hat y - y)^2",
    "pseudo_huber": r"\ell(\hat y, y) = \kappa^2\Big(\sqrt{1 + \big(\tfrac{\hat y - y}{\kappa}\big)^2} - 1\Big)",
    "log_cosh": r"\ell(\hat y, y) = s^2 \log\cosh\frac{\hat y - y}{s}",
}
_NAMES = {"leaky_relu": "leaky ReLU", "elu": "ELU", "softplus": "softplus",
          "sigmoid": "sigmoid", "tanh": "tanh", "squared": N_("squared error"),
          "pseudo_huber": N_("pseudo-Huber loss"), "log_cosh": N_("log-cosh loss")}


@dataclass(frozen=True)
class Variant(BaseVariant):
    """One student's network for homework 3 (the task, not its answers).

    ``sizes = (n_0, n_1, n_2, n_3)``: inputs, the two hidden layers, outputs; ``m`` the batch
    of the given data. ``hidden[0]``, ``hidden[1]``: the activations of hidden layers 1 and
    2 (different ones); ``leak`` (a), ``alpha`` and ``beta`` their constants (only those of
    the activations in use matter). ``output`` and ``loss`` the output activation and the
    loss per output entry, ``loss_constant`` its κ or s (None for the squared error);
    ``lam`` the L2 penalty; ``data_seed`` draws the given parameters and data.
    """

    sizes: tuple[int, int, int, int] = (3, 4, 3, 2)
    m: int = 5
    hidden: tuple[str, str] = ("elu", "leaky_relu")
    leak: float = 0.1
    alpha: float = 1.5
    beta: float = 2.0
    output: str = "sigmoid"
    loss_name: str = "squared"
    loss_constant: float | None = None
    lam: float = 0.05
    data_seed: int = 0

    # ---- the forward pass: the task --------------------------------------------------

    def activate(self, z, layer: int) -> np.ndarray:
        """f(z) of ``layer`` (1 and 2: the hidden layers, 3: the output), entry by entry."""
        z = np.asarray(z, dtype=float)
        name = self.hidden[layer - 1] if layer in (1, 2) else self.output
        if layer not in (1, 2, 3):
            raise ValueError(_("layer must be 1, 2 (hidden) or 3 (output); got {layer!r}.")
                             .format(layer=layer))
        if name == "leaky_relu":
            return np.where(z > 0, z, self.leak * z)
        if name == "elu":
            return np.where(z > 0, z, self.alpha * np.expm1(np.minimum(z, 0)))
        if name == "softplus":
            return np.logaddexp(0, self.beta * z) / self.beta
        if name == "sigmoid":
            return 0.5 * (1 + np.tanh(z / 2))
        return np.tanh(z)

    def loss_terms(self, y_hat, y) -> np.ndarray:
        """ℓ(ŷ, y) for every entry (no mean, no penalty)."""
        r = np.asarray(y_hat, dtype=float) - np.asarray(y, dtype=float)
        if self.loss_name == "squared":
            return r * r / 2
        c = self.loss_constant
        if self.loss_name == "pseudo_huber":
            return c * c * (np.sqrt(1 + (r / c) ** 2) - 1)
        x = np.abs(r / c)  # log cosh x = x + log(1 + e^(-2x)) - log 2, without overflow
        return c * c * (x + np.log1p(np.exp(-2 * x)) - np.log(2))

    def forward(self, params, X):
        """``(z, a)``: lists with every layer's pre-activation and activation, for a batch X
        (m, n_0). ``a[0]`` is X, ``z[0]`` is None, ``a[3]`` is the output ŷ."""
        if len(params) != 3:
            raise ValueError(_("your network has 3 layers (two hidden, one output); "
                               "params has {n}.").format(n=len(params)))
        z, a = [None], [np.asarray(X, dtype=float)]
        for layer, p in enumerate(params, start=1):
            z.append(a[-1] @ np.asarray(p["W"], dtype=float) + np.asarray(p["b"], dtype=float))
            a.append(self.activate(z[-1], layer))
        return z, a

    def loss(self, params, X, Y) -> float:
        """L = (1/m) Σ_samples Σ_outputs ℓ(ŷ, y) + lam/2 Σ_layers ‖W‖² (biases not penalised)."""
        _, a = self.forward(params, X)
        data = float(np.sum(self.loss_terms(a[-1], Y))) / len(a[0])
        penalty = sum(float(np.sum(np.asarray(p["W"], dtype=float) ** 2)) for p in params)
        return data + self.lam / 2 * penalty

    def target_range(self) -> tuple[float, float]:
        """Where the targets y lie: inside the output activation's range."""
        return {"sigmoid": (0.1, 0.9), "tanh": (-0.8, 0.8), "softplus": (0.1, 2.0)}[self.output]

    def data(self, m: int | None = None, sizes=None, seed: int | None = None):
        """``(params, X, Y)``: the given network's parameters and a batch of ``m`` samples
        (default: the variant's), drawn from ``data_seed`` (or ``seed``), with every hidden
        pre-activation at least ``KINK_DISTANCE`` away from 0 and every output pre-activation
        within ``OUTPUT_RANGE`` of 0 (no saturated output, whose delta would be ~0)."""
        m = self.m if m is None else m
        sizes = self.sizes if sizes is None else tuple(sizes)
        rng = np.random.default_rng(self.data_seed if seed is None else seed)
        low, high = self.target_range()
        while True:
            params = [{"W": rng.normal(0, 1 / np.sqrt(n_in), size=(n_in, n_out)),
                       "b": rng.normal(0, 0.2, size=n_out)}
                      for n_in, n_out in zip(sizes[:-1], sizes[1:])]
            X = rng.normal(size=(m, sizes[0]))
            Y = rng.uniform(low, high, size=(m, sizes[-1]))
            z, _ = self.forward(params, X)
            if (all(np.min(np.abs(z[l])) > KINK_DISTANCE for l in (1, 2))
                    and np.max(np.abs(z[3])) < OUTPUT_RANGE):
                return params, X, Y

    # ---- what the student sees -------------------------------------------------------

    def constants(self) -> dict[str, float]:
        """The constants this variant uses, by the name the questions give them."""
        used = {}
        for name in (*self.hidden, self.output):
            if name == "leaky_relu":
                used["a"] = self.leak
            elif name == "elu":
                used["alpha"] = self.alpha
            elif name == "softplus":
                used["beta"] = self.beta
        if self.loss_name == "pseudo_huber":
            used["kappa"] = self.loss_constant
        elif self.loss_name == "log_cosh":
            used["s"] = self.loss_constant
        used["lam"] = self.lam
        return used

    def describe(self) -> str:
        n0, n1, n2, n3 = self.sizes
        symbols = {"a": "a", "alpha": r"\alpha", "beta": r"\beta", "kappa": r"\kappa",
                   "s": "s", "lam": r"\lambda"}
        out = _(_FORMULAS[self.output])
        if self.output == "softplus":
            out = r"\hat y = \tfrac{1}{\beta}\log\big(1 + e^{\beta z}\big)"
        batch_loss = (r"L = \frac1m \sum_{\text{" + _("samples") + r"}} \sum_{\text{"
                      + _("outputs") + r"}} \ell(\hat y, y)"
                      r" + \frac{\lambda}{2} \sum_{l} \lVert W^{(l)} \rVert^2")
        lines = [
            super().describe(),
            "",
            ngettext("- **Network:** {n0} inputs → hidden layer 1 ({n1} neurons) → hidden "
                     "layer 2 ({n2} neurons) → output layer ({n3} unit); the given batch has "
                     "m = {m} samples.",
                     "- **Network:** {n0} inputs → hidden layer 1 ({n1} neurons) → hidden "
                     "layer 2 ({n2} neurons) → output layer ({n3} units); the given batch has "
                     "m = {m} samples.", n3).format(n0=n0, n1=n1, n2=n2, n3=n3, m=self.m),
            *(_("- **Hidden layer {l}:** {name}, ${formula}$.").format(
                l=l, name=_(_NAMES[name]), formula=_(_FORMULAS[name]))
              for l, name in enumerate(self.hidden, start=1)),
            _("- **Output layer:** {name}, ${formula}$.").format(
                name=_(_NAMES[self.output]), formula=out),
            _("- **Loss per output entry:** {name}, ${formula}$; the loss of a batch is "
              "${batch_loss}$ (biases not penalised).").format(
                name=_(_NAMES[self.loss_name]), formula=_(_FORMULAS[self.loss_name]),
                batch_loss=batch_loss),
            _("- **Your constants:** {constants}.").format(constants=", ".join(
                f"${symbols[k]} = {v:g}$ (`variant.{_FIELD[k]}`)"
                for k, v in self.constants().items())),
        ]
        return "\n".join(lines)


_FIELD = {"a": "leak", "alpha": "alpha", "beta": "beta", "kappa": "loss_constant",
          "s": "loss_constant", "lam": "lam"}


def _away_from_one(rng, low: float, high: float) -> float:
    """A constant in [low, high], rounded to 0.05, at least 0.2 from 1 (so that the kink
    of an ELU is a real kink)."""
    while True:
        value = round(round(rng.uniform(low, high) / 0.05) * 0.05, 2)
        if abs(value - 1) >= 0.2:
            return value


def variant(student_id) -> Variant:
    """The variant of homework 3 for ``student_id`` (drawn from ``student_rng``)."""
    normal = normalise_student_id(student_id)
    rng = student_rng(normal, HOMEWORK)
    sizes = (int(rng.integers(2, 5)), int(rng.integers(3, 6)), int(rng.integers(2, 5)),
             int(rng.integers(1, 4)))
    hidden = tuple(str(name) for name in rng.permutation(HIDDEN_ACTIVATIONS)[:2])
    output = str(rng.choice(OUTPUT_ACTIVATIONS))
    loss_name = str(rng.choice(LOSSES))
    loss_constant = None if loss_name == "squared" else round(float(rng.uniform(0.5, 2.0)), 2)
    return Variant(
        homework=HOMEWORK, student_id=normal, sizes=sizes, m=int(rng.integers(4, 8)),
        hidden=hidden, leak=round(float(rng.uniform(0.05, 0.3)), 2),
        alpha=_away_from_one(rng, 0.3, 2.0), beta=round(float(rng.uniform(0.5, 3.0)), 1),
        output=output, loss_name=loss_name, loss_constant=loss_constant,
        lam=round(float(rng.uniform(0.01, 0.2)), 3), data_seed=int(rng.integers(2**31)))


# ---- the tests' message helper --------------------------------------------------------

def compare(got, expected, what: str, *, rtol: float = 1e-10, atol: float = 1e-13,
            regions: dict[str, np.ndarray] | None = None) -> None:
    """Raise ``AssertionError`` with a sentence when ``got`` is not ``expected`` (within
    ``rtol``/``atol``): wrong type, shape, NaN, or wrong values — and then, when ``regions``
    (name -> boolean mask of expected's shape) are given, in which of them. The message
    never states the expected value."""
    expected = np.asarray(expected, dtype=float)
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(_("{what} should be a NumPy array of numbers, but it is a "
                               "{type}.").format(what=what, type=type(got).__name__)) from None
    if array.shape != expected.shape:
        raise AssertionError(_("{what} should have shape {expected}, but it has shape "
                               "{got}.").format(what=what, expected=expected.shape,
                                                got=array.shape))
    if not np.all(np.isfinite(array)):
        raise AssertionError(_("{what} contains NaN or infinity (an overflow, or 0/0?).")
                             .format(what=what))
    wrong = np.abs(array - expected) > atol + rtol * np.abs(expected)
    if not wrong.any():
        return
    message = _("{what} has the right shape but wrong values").format(what=what)
    if regions:
        where = [name for name, mask in regions.items() if np.any(wrong & np.asarray(mask))]
        right = [name for name, mask in regions.items()
                 if np.any(mask) and not np.any(wrong & np.asarray(mask))]
        if where:
            message += _(" in the entries where {where}").format(
                where=_(" and where ").join(where))
        if right:
            message += _(" (those where {right} are right)").format(
                right=_(" and where ").join(right))
    raise AssertionError(message + ".")


__all__ = ["HOMEWORK", "Variant", "compare", "variant"]
