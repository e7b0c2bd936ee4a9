"""The optimizer lab of chapter 4, driven programmatically: set the controls, check what it
computed and what it says, including the extreme settings."""

import base64

import numpy as np
import pytest

from backproplab.optimizers import SGD, make_optimizer
from backproplab.surfaces import quadratic, run_optimizer
from backproplab.widgets.gradient_descent import OptimizerLab


def test_lab_computes_the_runs_it_shows():
    lab = OptimizerLab(variants=("SGD", "Adam"), surface="quadratic", lr=0.05, n_steps=40)
    assert set(lab.runs) == {"SGD", "Adam"}
    expected = run_optimizer(SGD(0.05), quadratic(), n_steps=40)
    assert np.array_equal(lab.runs["SGD"].points, expected.points)
    assert "SGD: loss" in lab.readout.value and "after 40 steps" in lab.readout.value
    assert lab.png.startswith(b"\x89PNG") and lab.image.value == lab.png
    bundle = lab._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == lab.png


def test_momentum_slider_sets_momentums_beta():
    lab = OptimizerLab(variants=("Momentum",), lr=0.01, n_steps=30)
    lab.beta.value = 0.5
    expected = run_optimizer(make_optimizer("Momentum", 0.01, beta=0.5), quadratic(),
                             n_steps=30)
    assert np.allclose(lab.runs["Momentum"].points, expected.points)


def test_a_diverging_run_says_so_plainly():
    lab = OptimizerLab(variants=("SGD", "Adam"), surface="quadratic", lr=0.05)
    lab.lr.value = 10 ** 0.5                            # the slider's top end
    assert lab.runs["SGD"].diverged
    step = lab.runs["SGD"].diverged_at
    assert f"SGD diverged at step {step}" in lab.readout.value
    assert "Lower the learning rate." in lab.readout.value
    assert lab.png.startswith(b"\x89PNG")


def test_the_smallest_lr_says_to_raise_it():
    lab = OptimizerLab(variants=("SGD", "Momentum", "RMSProp", "Adam"), lr=1e-4,
                       n_steps=5)
    assert not any(run.diverged for run in lab.runs.values())
    assert lab.readout.value.count("barely moved: raise the learning rate") == 4


@pytest.mark.parametrize("surface", OptimizerLab.SURFACES)
@pytest.mark.parametrize("lr", [1e-4, 0.05, 10 ** 0.5])
def test_every_surface_survives_the_extremes(surface, lr):
    lab = OptimizerLab(variants=("SGD", "Momentum", "RMSProp", "Adam"), surface=surface,
                       lr=lr, n_steps=1000, batch_size=1)
    for name, run in lab.runs.items():
        assert len(run.points) == len(run.losses) <= 1001
        assert (name + " diverged") in lab.readout.value if run.diverged else \
            np.isfinite(run.final_loss)


def test_batch_size_makes_the_least_squares_path_noisy():
    lab = OptimizerLab(variants=("SGD",), surface="least squares", lr=0.1, n_steps=200)
    smooth = lab.runs["SGD"].losses
    lab.batch_size.value = 1
    noisy = lab.runs["SGD"].losses
    assert np.all(np.diff(smooth) <= 1e-12)             # full batch: never uphill here
    assert np.any(np.diff(noisy) > 0)                   # one example at a time: uphill steps


def test_no_variant_chosen_and_bad_names():
    lab = OptimizerLab(variants=("SGD",))
    lab.variants.value = ()
    assert lab.runs == {} and "Choose at least one optimizer" in lab.readout.value
    with pytest.raises(ValueError, match="unknown optimizer"):
        OptimizerLab(variants=("Adagrad",))
    with pytest.raises(ValueError, match="unknown surface"):
        OptimizerLab(surface="Himmelblau")
