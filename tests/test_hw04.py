"""Homework 4's variants (``backproplab.homework.hw04``) and its notebook (``solutions/hw04``).

The unit tests check that every student's variant is well posed: the batch size leaves a
short last batch, the bowl is rotated far enough that its diagonal misleads, the visible
tests' checks hold for the reference answers, the experiment's grid spans rates that are
too small, good and too large (computed here: the package never runs it). The
notebook tests (slow) run the instructor notebook with given answers in one kernel.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from homework_tools import notebook_path, run_with_answers
from shortcuts_hw04 import SHORTCUTS, STEP_BODIES, concrete_answers, final_losses

from backproplab.homework import hw04
from backproplab.optimizers import SGD, Momentum
from backproplab.surfaces import run_optimizer
from backproplab.variants import StudentIdError

IDS = [f"s{k:07d}" for k in range(500)]
# Ids whose question-2 optimizer is known (checked below).
BY_OPTIMIZER = {"adagrad": "id0", "amsgrad": "id1", "adamw": "id2", "rmsprop_momentum": "id3",
                "adamax": "id4", "nesterov": "id6"}


def reference_step(kind, w, g, state, t, hp):
    """Question 2's reference step, as the hidden test computes it (see the notebook)."""
    namespace = {"np": np}
    exec("def optimizer_step(w, g, state, t, hp):" + STEP_BODIES[kind], namespace)
    return namespace["optimizer_step"](w, g, state, t, hp)


def limits(v):
    largest = np.linalg.eigvalsh(np.array(v.A)).max()
    return 2 / largest, 2 * (1 + v.beta) / largest


# ---- variants ----------------------------------------------------------------------------

def test_same_id_same_variant_and_normalised():
    assert hw04.variant("S1234567 ") == hw04.variant("s1234567")
    assert hw04.variant("s1234567").describe() == hw04.variant("s1234567").describe()


def test_different_ids_get_different_tasks():
    variants = [hw04.variant(sid) for sid in IDS[:100]]
    assert len({(v.n, v.batch_size) for v in variants}) >= 90
    assert len({v.A for v in variants}) == 100
    assert len({v.start + v.valley + v.grid for v in variants}) == 100
    assert {v.optimizer for v in variants} == set(hw04.STATE_NAMES)
    assert {v.q4_optimizer for v in variants} == set(hw04.Q4_OPTIMIZERS)
    same_optimizer = np.mean([a.optimizer == b.optimizer for a, b in zip(variants, variants[1:])])
    assert same_optimizer <= 0.3


@pytest.mark.parametrize("bad", ["", "  ", "YOUR ID", "student_id", None, 1234567, "two words"])
def test_placeholder_ids_are_refused(bad):
    with pytest.raises(StudentIdError):
        hw04.variant(bad)


def test_known_optimizers_of_the_notebook_tests():
    for kind, sid in BY_OPTIMIZER.items():
        assert hw04.variant(sid).optimizer == kind


def test_every_variant_is_well_posed_cheap_checks():
    for sid in IDS:
        v = hw04.variant(sid)
        assert 5 <= v.batch_size <= v.n and v.n % v.batch_size, sid
        A = np.array(v.A)
        assert np.array_equal(A, A.T), sid
        eig = np.linalg.eigvalsh(A)
        assert eig[0] >= 0.4 and eig[1] >= 1.15 * A.diagonal().max(), sid
        assert 0.5 <= v.beta <= 0.9 and len(v.grid) == hw04.Q4_GRID_SIZE, sid
        assert all(1.8 <= b / a <= 2.2 for a, b in zip(v.grid, v.grid[1:])), sid
        assert v.n_steps in hw04.Q4_STEPS[v.q4_optimizer], sid
        assert set(v.hyper) >= {"lr"} and all(np.isfinite(list(v.hyper.values()))), sid
        text = v.describe()
        assert f"`n` = {v.n}" in text and f"`batch_size` = {v.batch_size}" in text, sid
        assert f"{v.A[0][1]:g}" in text and v.optimizer in text, sid


def test_reference_optimizers_pass_the_visible_descent_check():
    for sid in IDS:
        v = hw04.variant(sid)
        w, state = np.array([3.0, -2.0]), hw04.zero_state(v, np.zeros(2))
        for t in range(1, 301):
            w, state = reference_step(v.optimizer, w, np.array([1.0, 4.0]) * w, state, t, v.hyper)
        assert np.sum(np.array([1.0, 4.0]) * w**2) < 0.5 * 25.0, (sid, v.optimizer, v.hyper)


def test_reference_limits_pass_the_visible_checks():
    for sid in IDS[:60]:
        v = hw04.variant(sid)
        gd, momentum = limits(v)
        bowl = v.bowl()
        assert not run_optimizer(SGD(0.95 * gd), bowl, n_steps=3000).diverged, sid
        assert run_optimizer(SGD(1.05 * gd), bowl, n_steps=3000).diverged, sid
        assert not run_optimizer(Momentum(0.95 * momentum, beta=v.beta), bowl, n_steps=3000).diverged, sid
        assert run_optimizer(Momentum(1.05 * momentum, beta=v.beta), bowl, n_steps=3000).diverged, sid
        # The chapter's formula with the diagonal fails the visible check.
        assert run_optimizer(SGD(0.95 * 2 / max(v.A[0][0], v.A[1][1])), bowl, n_steps=3000).diverged


@pytest.fixture(scope="module")
def experiments():
    """Question 4's final losses for each of the 500 ids (what the hidden test computes)."""
    return {sid: np.array(final_losses(hw04.variant(sid))) for sid in IDS}


@pytest.mark.slow
def test_experiment_is_well_posed_without_a_redraw(experiments):
    # The grid spans too small ... diverges: its smallest rate converges but ends clearly
    # above the best (so it is never accepted), its largest diverges, and the best run is
    # finite, so the reference answer passes and the hidden test's tolerance decides.
    for sid, finals in experiments.items():
        best = finals.min()
        assert np.isfinite(finals[0]) and np.isfinite(best), sid
        assert finals[0] > 1.25 * hw04.Q4_TOLERANCE * best, sid
        assert np.isinf(finals[-1]), sid


def test_the_package_never_runs_the_experiment():
    # A variant holds the task, never its answer: nothing in hw04 runs an optimizer.
    source = inspect.getsource(hw04)
    assert "run_optimizer(" not in source.replace("``run_optimizer``", "")
    assert not [name for name in vars(hw04) if "loss" in name.lower() or "posed" in name]


@pytest.mark.slow
def test_no_fixed_place_in_the_grid_is_a_safe_guess(experiments):
    # A student who guesses "the k-th rate" without running the grid is right for few ids.
    accepted = np.array([finals <= hw04.Q4_TOLERANCE * finals.min() + 1e-12
                         for finals in experiments.values()])
    assert accepted.mean(axis=0).max() <= 0.45, accepted.mean(axis=0)


def test_the_notebook_states_the_tolerance_the_hidden_test_uses():
    text = notebook_path("hw04").read_text(encoding="utf-8")
    percent = round(100 * (hw04.Q4_TOLERANCE - 1))
    assert f"at most {percent} %" in text
    assert f"{hw04.Q4_TOLERANCE:g} * min(finals_h)" in text


def test_same_compares_without_raising():
    assert hw04.same([1.0, 2.0], np.array([1.0, 2.0]))
    assert not hw04.same([1.0], [1.0, 2.0])
    assert not hw04.same("x", [1.0])
    assert not hw04.same([np.nan], [np.nan])
    assert not hw04.same(1.001, 1.0, rtol=1e-6)


# ---- the notebook --------------------------------------------------------------------------

def failing(results: dict) -> dict:
    return {cell: error for cell, error in results.items() if error}


@pytest.mark.slow
@pytest.mark.parametrize("sid", ["s1234567", "budi42.santoso", "a00012345"])
def test_reference_passes(sid):
    assert failing(run_with_answers("hw04", {}, sid)) == {}


@pytest.mark.slow
@pytest.mark.parametrize("sid", ["alice0001", BY_OPTIMIZER["adamw"], BY_OPTIMIZER["nesterov"]])
def test_concrete_answers_pass_for_their_own_id(sid):
    assert failing(run_with_answers("hw04", concrete_answers(hw04.variant(sid)), sid)) == {}


NO_DROP = """
def batches(n, batch_size, rng, drop_last=False):
    order = rng.permutation(n)
    return [order[k:k + batch_size] for k in range(0, n, batch_size)]
"""
HEAVY_BALL = """
def optimizer_step(w, g, state, t, hp):
    v = hp["beta"] * state["v"] + g
    return w - hp["lr"] * v, {"v": v}
"""
COUPLED_L2 = STEP_BODIES["adamw"].replace('w = w - hp["lr"] * hp["weight_decay"] * w',
                                          'g = g + hp["weight_decay"] * w')
MUTATES = """
def optimizer_step(w, g, state, t, hp):
    state["v"] *= hp["beta"]
    state["v"] += g
    return w - hp["lr"] * (g + hp["beta"] * state["v"]), state
"""


@pytest.mark.slow
def test_typical_mistakes_fail_with_a_sentence_and_no_expected_value():
    sid = BY_OPTIMIZER["nesterov"]
    v = hw04.variant(sid)
    gd, momentum = limits(v)
    answers = {
        "q1_answer": NO_DROP,
        "q2_answer": HEAVY_BALL,
        "q3_answer": f"lr_limit_gd = {1.03 * gd!r}\nlr_limit_momentum = {0.5 * momentum!r}\n",
        "q4_answer": f"best_lr = {v.grid[0]!r}\nbest_loss = 1.0\n",
    }
    results = run_with_answers("hw04", answers, sid)
    assert "drop_last=True every batch should be full" in results["q1_test"]
    assert "w after step 1" in results["q2_test"]  # hidden: the look-ahead is missing
    assert "not to six digits" in results["q3_gd_test"]
    assert "your limit is too small" in results["q3_momentum_test"]
    assert "best_loss is not the final loss" in results["q4_test"]
    best_loss = min(final_losses(v))
    for message in results.values():
        for value in (gd, momentum, best_loss):
            assert f"{value:.3g}" not in message and f"{value:.2g}" not in message, message


@pytest.mark.slow
def test_decay_coupled_to_the_gradient_is_not_adamw():
    sid = BY_OPTIMIZER["adamw"]
    step = "def optimizer_step(w, g, state, t, hp):" + COUPLED_L2 + "\n"
    results = run_with_answers("hw04", {"q2_answer": step}, sid)
    assert "w after step 1" in results["q2_test"]
    assert failing(results).keys() == {"q2_test"}


@pytest.mark.slow
def test_mutating_the_state_is_reported():
    results = run_with_answers("hw04", {"q2_answer": MUTATES}, BY_OPTIMIZER["nesterov"])
    assert "changed an array it was given" in results["q2_test"]


def test_shortcut_module_is_complete():
    assert {"pasted_chapter", "one_sp_diff", "visible_messages", "calls_package"} <= set(SHORTCUTS)
    answers = concrete_answers(hw04.variant("alice0001"))
    assert set(answers) == {"q1_answer", "q2_answer", "q3_answer", "q4_answer"}
    assert "variant." not in "".join(answers.values())
