"""Chapter 6's per-time-step gradient norms (backproplab.time_gradients): the norms are those
of ``rnn_backward`` and ``lstm_backward``; the plain RNN's gradient vanishes for small
recurrent weights and explodes for large ones, an LSTM with a high forget bias keeps it,
float32 overflows where float64 does not; the verdicts; errors that say what to change.
Thresholds are set well inside the values measured for seeds 0-5 (noted at each assert)."""

import math

import numpy as np
import pytest

from backproplab.losses import binary_cross_entropy_delta
from backproplab.rnn import (
    init_lstm_params,
    init_rnn_params,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
)
from backproplab.time_gradients import (
    EXPLODE,
    STATUSES,
    VANISH,
    TimeVerdict,
    scale_recurrent_weights,
    time_gradient_norms,
    time_verdict,
)

SEEDS = range(3)


def norms(T, seed=0, **settings):
    return time_gradient_norms(T, np.random.default_rng(seed), **settings)


# --- the norms are the package's -------------------------------------------------------

@pytest.mark.parametrize("scale, forget_bias", [(1.0, 1.0), (0.5, 3.0), (2.0, -1.0)])
def test_the_norms_are_those_of_one_backward_pass_of_each_model(scale, forget_bias):
    T, n_h, n_in, batch = 12, 5, 3, 4
    result = time_gradient_norms(T, np.random.default_rng(7), scale=scale,
                                 forget_bias=forget_bias, n_h=n_h, n_in=n_in, batch=batch)
    rng = np.random.default_rng(7)  # the same draws, in the documented order
    rnn = init_rnn_params(n_in, n_h, 1, rng)
    lstm = init_lstm_params(n_in, n_h, 1, rng, forget_bias=forget_bias)
    X = rng.normal(size=(batch, T, n_in))
    y = rng.integers(0, 2, batch).astype(float)
    rnn["W_h"] = rnn["W_h"] * scale
    lstm["W_h"] = lstm["W_h"] * scale
    cache = rnn_forward(rnn, X)
    rnn_back = rnn_backward(rnn, cache, binary_cross_entropy_delta(cache.z_out, y))
    cache = lstm_forward(lstm, X)
    lstm_back = lstm_backward(lstm, cache, binary_cross_entropy_delta(cache.z_out, y))
    np.testing.assert_allclose(result.rnn_dh, rnn_back.dh_norms, rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.lstm_dh, lstm_back.dh_norms, rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.lstm_dc, lstm_back.dc_norms, rtol=1e-12, atol=0)
    assert result.rnn_dh.shape == result.lstm_dh.shape == result.lstm_dc.shape == (T,)
    # each verdict is time_verdict of its curve
    assert result.rnn.ratio == pytest.approx(rnn_back.dh_norms[0] / rnn_back.dh_norms[-1],
                                             rel=1e-12)
    assert result.lstm == time_verdict(result.lstm_dh)
    assert result.lstm_cell == time_verdict(result.lstm_dc)


def test_the_same_rng_gives_the_same_norms_and_another_seed_others():
    a, b, c = norms(30, seed=3), norms(30, seed=3), norms(30, seed=4)
    np.testing.assert_array_equal(a.lstm_dh, b.lstm_dh)
    assert not np.allclose(a.lstm_dh, c.lstm_dh, rtol=1e-3)


# --- what the curves show ---------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_the_plain_rnn_gradient_vanishes_and_a_high_forget_bias_keeps_the_lstm_one(seed):
    small = norms(50, seed, scale=0.5, forget_bias=5.0)
    assert small.rnn.status == "vanishes"
    assert small.rnn.ratio < 1e-15               # measured 2e-25 ... 6e-19
    assert small.lstm_cell.status == "kept"
    assert small.lstm_cell.ratio > 1e-2          # measured 0.06 ... 0.3 (through ‖dL/dc_t‖)
    kept = norms(50, seed, scale=1.0, forget_bias=5.0)
    assert kept.lstm.status == "kept" and kept.lstm.ratio > 3e-2   # measured 0.09 ... 3.4
    assert kept.rnn.status == "vanishes"        # measured 3e-10 ... 8e-6 at scale 1
    assert kept.lstm.ratio > 1e3 * kept.rnn.ratio  # measured ≥ 2e4 times


@pytest.mark.parametrize("seed", SEEDS)
def test_it_is_the_forget_bias_that_keeps_the_lstm_gradient(seed):
    closed, open_ = norms(50, seed, forget_bias=0.0), norms(50, seed, forget_bias=3.0)
    assert closed.lstm.status == "vanishes" and closed.lstm.ratio < 1e-7  # measured ≤ 5e-10
    assert open_.lstm.ratio > 1e5 * closed.lstm.ratio                    # measured ≥ 3e8


@pytest.mark.parametrize("seed", SEEDS)
def test_large_recurrent_weights_make_the_plain_rnn_gradient_explode(seed):
    result = norms(200, seed, scale=5.0)
    assert result.rnn.status == "explodes" and result.rnn.finite
    assert result.rnn.ratio > 1e10               # measured 4e14 ... 1e26


@pytest.mark.parametrize("seed", SEEDS)
def test_float32_overflows_where_float64_only_explodes(seed):
    wide = norms(200, seed, scale=30.0)
    assert wide.lstm.status == "explodes" and wide.lstm.ratio > 1e30  # measured ≥ 3e47
    narrow = norms(200, seed, scale=30.0, dtype=np.float32)
    assert narrow.lstm_dh.dtype == np.float32
    assert narrow.lstm.status == "overflow" and not narrow.lstm.finite
    assert math.isnan(narrow.lstm.ratio) and narrow.lstm_cell.status == "overflow"
    assert np.isfinite(narrow.lstm_dh[-1])       # the steps near the output are fine


def test_huge_weights_saturate_the_tanh_and_no_gradient_reaches_step_1():
    result = norms(50, scale=1e200)
    assert result.rnn.status == "vanishes" and not result.rnn.reaches
    assert result.rnn.ratio == 0.0 and result.rnn_dh[0] == 0.0


def test_no_warning_escapes_an_overflow():
    with np.errstate(all="raise"):
        result = norms(200, scale=30.0, dtype=np.float32)
    assert result.lstm.status == "overflow"


# --- the verdict -----------------------------------------------------------------------

@pytest.mark.parametrize("curve, status", [
    ([1e-5, 1e-2, 1.0], "vanishes"),
    ([0.999 * VANISH, 1.0], "vanishes"),
    ([VANISH, 1.0], "kept"),
    ([2.0, 1.0], "kept"),
    ([EXPLODE, 1.0], "kept"),
    ([1.001 * EXPLODE, 1.0], "explodes"),
    ([np.inf, 1e30, 1.0], "overflow"),
    ([np.nan, 1.0], "overflow"),
])
def test_time_verdict_statuses(curve, status):
    verdict = time_verdict(curve)
    assert isinstance(verdict, TimeVerdict) and verdict.status == status
    assert verdict.status in STATUSES
    if status != "overflow":
        assert verdict.finite and verdict.reaches
        assert verdict.ratio == pytest.approx(curve[0] / curve[-1], rel=1e-15)


def test_time_verdict_of_a_curve_that_reaches_nothing():
    verdict = time_verdict([0.0, 1e-3, 1.0])
    assert verdict == TimeVerdict(True, False, 0.0, "vanishes")
    verdict = time_verdict([1.0, 0.0])  # no gradient at step T at all
    assert verdict.status == "vanishes" and math.isnan(verdict.ratio)


def test_time_verdict_thresholds_are_arguments():
    assert time_verdict([1e-2, 1.0], vanish=0.1).status == "vanishes"
    assert time_verdict([5.0, 1.0], explode=2.0).status == "explodes"


def test_time_verdict_refuses_what_is_not_a_curve():
    with pytest.raises(ValueError, match=r"1-D array of per-step norms \(T,\)"):
        time_verdict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="1-D array"):
        time_verdict([])


# --- the weights ------------------------------------------------------------------------

def test_scale_recurrent_weights_copies_only_W_h_and_keeps_the_dtype():
    params = init_lstm_params(2, 3, 1, np.random.default_rng(0), dtype=np.float32)
    before = params["W_h"].copy()
    scaled = scale_recurrent_weights(params, 2.5)
    np.testing.assert_array_equal(params["W_h"], before)   # the argument is unchanged
    np.testing.assert_allclose(scaled["W_h"], 2.5 * before, rtol=1e-7)
    assert scaled["W_h"].dtype == np.float32
    assert all(scaled[key] is params[key] for key in ("W_x", "b", "W_y", "b_y"))


# --- errors that say what to change -----------------------------------------------------

@pytest.mark.parametrize("T, settings, error, message", [
    (0, {}, ValueError, r"T \(the sequence length\) must be a whole number >= 1"),
    (10.0, {}, ValueError, r"T \(the sequence length\) must be a whole number"),
    (10, {"scale": 0.0}, ValueError, "scale .* must be a positive number such as 1.0"),
    (10, {"scale": np.inf}, ValueError, "scale .* must be a positive number"),
    (10, {"scale": "big"}, TypeError, "scale .* must be a number"),
    (10, {"forget_bias": np.nan}, ValueError, "forget_bias must be a finite number"),
    (10, {"n_h": 0}, ValueError, r"n_h \(the hidden size\) must be a whole number"),
    (10, {"dtype": np.int64}, ValueError, "dtype must be float64 or float32"),
])
def test_bad_settings_are_refused_with_a_sentence(T, settings, error, message):
    with pytest.raises(error, match=message):
        time_gradient_norms(T, np.random.default_rng(0), **settings)


def test_randomness_is_explicit():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        time_gradient_norms(10, 0)
