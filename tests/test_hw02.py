"""Homework 2 (the chain rule): the variants of ``backproplab.homework.hw02`` and the notebook.

Fast tests check the variants (deterministic, different per student, well-posed for 500
ids, placeholder ids refused) and run the reference answers with every test cell (hidden
tests included) in this process for a few dozen ids. Slow tests run the instructor notebook
with nbclient: the reference passes, typical wrong answers fail the expected cells with
the expected sentences, and no visible message states the expected value.
"""

from __future__ import annotations

import math
import re

import nbformat
import pytest
import sympy as sp
from homework_tools import cells_by_id, notebook_path, reference_source, run_with_answers

from backproplab.homework import hw02
from backproplab.variants import StudentIdError

IDS = [f"s{1000003 * k % 10**8:08d}" for k in range(500)]


# ---- the variants --------------------------------------------------------------------------

def test_variant_is_deterministic_and_normalised():
    assert hw02.variant("S1234567 ") == hw02.variant("s1234567")
    assert hw02.variant("s1234567").student_id == "s1234567"
    assert hw02.variant("s1234567").homework == "hw02"


def test_different_ids_give_different_tasks():
    variants = [hw02.variant(sid) for sid in IDS]
    tasks = {tuple(v.__dict__[f] for f in v.__dataclass_fields__ if f != "student_id")
             for v in variants}
    assert len(tasks) == len(IDS)
    # the structural choices vary, not only the numbers
    for field, choices in [("activation", hw02.ACTIVATIONS), ("node", hw02.NODES),
                           ("q2_op", hw02.Q2_OPS), ("q2_combine", hw02.Q2_COMBINE),
                           ("op", hw02.OPS), ("neuron_act", hw02.ACTIVATIONS),
                           ("loss", hw02.LOSSES)]:
        seen = {getattr(v, field) for v in variants}
        assert seen == set(choices), f"{field}: only {sorted(seen)} in {len(IDS)} ids"
    pairs = [(hw02.variant(a), hw02.variant(b)) for a, b in zip(IDS[:100], IDS[100:200])]
    same_q3 = sum(v.op == u.op and v.op_p == u.op_p for v, u in pairs)
    assert same_q3 <= 20


@pytest.mark.parametrize("bad", ["", "  ", "your id", "STUDENT_ID", "...", "two words", 1234567])
def test_placeholder_ids_are_refused(bad):
    with pytest.raises(StudentIdError):
        hw02.variant(bad)


def test_every_variant_is_well_posed():
    for sid in IDS:
        v = hw02.variant(sid)
        n = v.q2_nodes(v.q2_x, v.q2_w, v.q2_y)
        slope = {"sin": math.cos, "cos": math.sin,
                 "atan": lambda s: 1 / (1 + s * s)}[v.q2_op](n["d"])
        assert abs(slope) >= 0.15, sid
        if v.q2_combine == "max":
            assert n["e"] >= n["c"] + 0.3 - 1e-12, sid   # e wins the max clearly
        elif v.q2_combine == "min":
            assert n["e"] <= n["c"] - 0.3 + 1e-12, sid
        else:
            assert abs(n["e"]) >= 0.2 and abs(n["c"]) >= 0.2, sid
        assert abs(n["m"] - v.q2_t) >= 0.3 - 1e-12, sid
        assert min(abs(v.q2_x), abs(v.q2_w)) >= 0.3 and abs(v.q2_y) >= 0.2, sid
        if v.loss == "bce":
            assert v.neuron_act == "sigmoid", sid
        # the forward formulas are finite where the tests evaluate them
        grid = [-4.0 + 0.05 * k for k in range(161)]
        outputs = [v.op_forward(z_at) for z_at in grid]
        assert all(map(math.isfinite, outputs)), sid
        # one-to-one, so that its local derivative is a function of its output (q3)
        assert all(s1 > s0 for s0, s1 in zip(outputs, outputs[1:])), sid
        for z_at in (-0.6, 0.45):
            assert math.isfinite(float(v.act(z_at))), sid
        for u_at, v_at in ((1.3, 0.8), (0.6, 1.7)):
            assert math.isfinite(float(v.node_output(u_at, v_at))), sid
        assert math.isfinite(v.neuron_loss(0.9, 0.7, -0.2, 0.3)), sid


def test_describe_states_the_numbers():
    v = hw02.variant("s1234567")
    text = v._repr_markdown_()
    for number in (v.q2_x, v.q2_w, v.q2_y, v.q2_t, v.op_p, v.act_k):
        assert f"{number:g}" in text
    assert "s1234567" in text and "$" in text


def test_check_matches_never_prints_the_expected_value():
    hw02.check_matches(1.0 + 1e-12, 1.0, "x")
    with pytest.raises(AssertionError) as failed:
        hw02.check_matches(2.5, 7.123456, "grads['c']", hint="c feeds two nodes.")
    assert "7.12" not in str(failed.value) and "grads['c'] is wrong" in str(failed.value)
    with pytest.raises(AssertionError, match="should be a number"):
        hw02.check_matches("two", 2.0, "x")


# ---- the reference answers and all tests, in this process ---------------------------------

def _cells():
    nb = nbformat.read(notebook_path("hw02"), as_version=4)
    return [(c.metadata["nbgrader"], reference_source(c)) for c in nb.cells
            if c.cell_type == "code"]


def run_here(student_id: str, answers: dict[str, str] | None = None) -> dict[str, str | None]:
    """Every code cell of the instructor notebook (hidden tests included) in one namespace:
    each test cell's error ("Name: message") or None."""
    answers = answers or {}
    namespace, results = {}, {}
    for meta, source in _cells():
        grade_id = meta["grade_id"]
        if grade_id == "student_id":
            source = f"STUDENT_ID = {student_id!r}"
        source = answers.get(grade_id, re.sub(r"^### (BEGIN|END) HIDDEN TESTS\n", "", source,
                                              flags=re.M))
        try:
            exec(compile(source, grade_id, "exec"), namespace)
        except Exception as error:  # noqa: BLE001 - the cell's verdict
            if not meta.get("grade"):
                raise
            results[grade_id] = f"{type(error).__name__}: {error}"
        else:
            if meta.get("grade"):
                results[grade_id] = None
    return results


def test_autograded_points_are_ten_and_written_answers_are_manual():
    nb = nbformat.read(notebook_path("hw02"), as_version=4)
    cells = cells_by_id(nb)
    tests = {g: c.metadata["nbgrader"]["points"] for g, c in cells.items()
             if c.cell_type == "code" and c.metadata["nbgrader"].get("grade")}
    assert sum(tests.values()) == 10
    written = {g: c for g, c in cells.items() if c.cell_type == "markdown"
               and c.metadata["nbgrader"].get("grade")}
    assert set(written) == {"q1_written", "q2_written"}
    for cell in written.values():
        meta = cell.metadata["nbgrader"]
        assert meta["solution"] and not meta["locked"] and meta["points"] >= 1
        assert "Model answer" in cell.source and "Rubric" in cell.source
    assert len({c.metadata["nbgrader"]["grade_id"] for c in nb.cells}) == len(nb.cells)


@pytest.mark.parametrize("student_id", IDS[:12] + ["alice0001", "budi4821.santoso"])
def test_reference_passes_every_test_here(student_id):
    results = run_here(student_id)
    assert results and all(error is None for error in results.values()), results


WRONG = {
    # q1: the derivative in z (sp.diff), and in the node's output but missing the steepness
    "q1_answer": "d_act = sp.diff(variant.act(z), z)\nd_node = q\n",
    # q2: max/min or product treated as a sum (both inputs get the upstream gradient)
    "q2_answer": ("_x, _w, _y, _t = variant.q2_x, variant.q2_w, variant.q2_y, variant.q2_t\n"
                  "_n = variant.q2_nodes(_x, _w, _y)\n"
                  "_g = {'sin': math.cos, 'cos': lambda s: -math.sin(s),\n"
                  "      'atan': lambda s: 1 / (1 + s * s)}[variant.q2_op]\n"
                  "grads = {'J': 1.0, 'm': 2 * (_n['m'] - _t)}\n"
                  "grads['e'] = grads['m']\n"
                  "grads['d'] = _g(_n['d']) * grads['e']\n"
                  "grads['c'] = grads['d'] + grads['m']\n"
                  "grads['y'] = variant.q2_sign * grads['d']\n"
                  "grads['w'], grads['x'] = _x * grads['c'], _w * grads['c']\n"),
    # q3: built from Value operations (no own node); the derivative in z evaluated at s
    "q3_answer": ("def op_node(z):\n"
                  "    return z * (variant.op_p * z).sigmoid()\n"
                  "\n"
                  "def op_local(s):\n"
                  "    return central_difference(variant.op_forward, s)\n"),
    # q4: the chapter's sigmoid derivative, forgetting the activation's steepness
    "q4_answer": ("delta = 2 * (a - y) * a * (1 - a)\n"
                  "dJ_dw = delta * x\n"
                  "dJ_dx = delta * w\n"),
}

NUDGED_OP = {  # q3: the right node, its local derivative by a central difference
    "q3_answer": ("def op_node(z):\n"
                  "    local = central_difference(variant.op_forward, z.data)\n"
                  "    return Value._result(variant.op_forward(z.data), 'op', (z,), (local,))\n"
                  "\n"
                  "def op_local(s):\n"
                  "    return central_difference(variant.op_forward, s)\n"),
}


def test_typical_mistakes_fail_with_a_sentence_here():
    sid = next(s for s in IDS if hw02.variant(s).q2_combine != "mul"
               and hw02.variant(s).neuron_act != "sigmoid")
    results = run_here(sid, WRONG)
    assert "d_act uses z, but it should depend only on a" in results["q1_test_act"]
    assert "d_node is not the local derivative" in results["q1_test_node"]
    assert "disagrees with a nudge" in results["q2_test"]
    assert "one new node whose only child is z" in results["q3_test_node"]
    assert "op_local receives the output s, not z" in results["q3_test_local"]
    assert "disagrees with a nudge of z" in results["q4_test_delta"]
    assert "disagrees with a nudge of w" in results["q4_test"]
    nudged = run_here(sid, NUDGED_OP)
    assert "Write the exact derivative" in nudged["q3_test_node"]
    assert "op_local receives the output s, not z" in nudged["q3_test_local"]


def test_visible_messages_do_not_state_the_expected_values():
    """A wrong answer's visible messages name the student's value, never the right one."""
    sid = IDS[3]
    v = hw02.variant(sid)
    results = run_here(sid, WRONG)
    expected = run_expected(v)
    for grade_id, message in results.items():
        assert message is not None
        for value in expected:
            for text in {f"{value:.6g}", f"{value:.4g}", f"{value:g}"}:
                if len(text.lstrip("-")) >= 4:
                    assert text not in message, (grade_id, text, message)


def run_expected(v) -> list[float]:
    """The right numbers of the variant: the q2 gradients and q3 local derivatives."""
    namespace = {}
    source = "\n".join(src for meta, src in _cells() if meta["grade_id"] in {"setup"})
    exec(source, namespace)
    namespace["variant"] = v
    for meta, src in _cells():
        if meta["grade_id"] in {"q2_answer", "q3_answer"}:
            exec(src, namespace)
    values = list(namespace["grads"].values())
    for z_at in (-1.3, 0.4, 2.1):
        node = namespace["op_node"](namespace["Value"](z_at))
        values.append(node.local_grads[0])
        values.append(namespace["op_local"](v.op_forward(z_at)))
    return [float(x) for x in values if abs(float(x)) > 1e-9]


# ---- the notebook, run as a student would (nbclient) --------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("student_id", ["s1234567", "alice0001"])
def test_reference_notebook_passes(student_id):
    results = run_with_answers("hw02", {}, student_id)
    assert results and all(error is None for error in results.values()), results


@pytest.mark.slow
def test_wrong_answers_fail_in_the_notebook():
    sid = next(s for s in IDS if hw02.variant(s).q2_combine != "mul"
               and hw02.variant(s).neuron_act != "sigmoid")
    results = run_with_answers("hw02", WRONG, sid)
    expected_fragments = {
        "q1_test_act": "should depend only on a",
        "q1_test_node": "is not the local derivative",
        "q2_test": "disagrees with a nudge",
        "q3_test_node": "one new node whose only child is z",
        "q3_test_local": "op_local receives the output s, not z",
        "q4_test_delta": "disagrees with a nudge of z",
        "q4_test": "disagrees with a nudge of w",
    }
    for grade_id, fragment in expected_fragments.items():
        assert results[grade_id] is not None and fragment in results[grade_id], (
            grade_id, results[grade_id])


@pytest.mark.slow
def test_another_students_answers_fail_in_the_notebook():
    import shortcuts_hw02

    answers = shortcuts_hw02.concrete_answers(hw02.variant("alice0001"))
    assert all(error is None for error in run_here("alice0001", answers).values())
    results = run_with_answers("hw02", answers, "s1234567")
    points = {g: c.metadata["nbgrader"].get("points", 0) for g, c in cells_by_id(
        nbformat.read(notebook_path("hw02"), as_version=4)).items()}
    earned = sum(points[g] for g, error in results.items() if error is None)
    assert earned <= 2, results


#: the variant's fields that each test cell's task depends on
TASK_FIELDS = {
    "q1_test_act": ("activation", "act_k"),
    "q1_test_node": ("node", "node_k"),
    "q2_test": ("q2_op", "q2_combine", "q2_sign", "q2_x", "q2_w", "q2_y", "q2_t"),
    "q3_test_node": ("op", "op_p"),
    "q3_test_local": ("op", "op_p"),
    "q4_test_delta": ("neuron_act", "neuron_k", "loss"),
    "q4_test": ("neuron_act", "neuron_k", "loss"),
}


def _pairs_sharing(field: str, constant: str, n: int = 800):
    """For each choice of ``field``: two ids with that choice and different ``constant``s,
    and two with the same choice and the same constant (their answers must be swappable)."""
    by_choice: dict = {}
    for sid in (f"p{k:06d}" for k in range(n)):
        v = hw02.variant(sid)
        by_choice.setdefault(getattr(v, field), {}).setdefault(getattr(v, constant), []).append(sid)
    pairs = []
    for choice, by_constant in sorted(by_choice.items()):
        ks = sorted(by_constant)
        assert len(ks) >= 2, (field, choice)
        pairs.append((by_constant[ks[0]][0], by_constant[ks[1]][0]))
        same = next(ids for ids in by_constant.values() if len(ids) >= 2)
        pairs.append((same[0], same[1]))
    return pairs


@pytest.mark.parametrize("field, constant", [("node", "node_k"), ("activation", "act_k"),
                                             ("op", "op_p")])
def test_another_students_answer_passes_only_for_the_same_task(field, constant):
    """Another student's correct answers, typed in, pass a test cell only when the fields of
    that cell's task are the same: every node, activation and operation depends on its
    drawn constant, so a different constant fails."""
    import shortcuts_hw02

    for owner, copier in _pairs_sharing(field, constant):
        answers = shortcuts_hw02.concrete_answers(hw02.variant(owner))
        results = run_here(copier, answers)
        mine, theirs = hw02.variant(copier), hw02.variant(owner)
        for grade_id, error in results.items():
            same = all(getattr(mine, f) == getattr(theirs, f) for f in TASK_FIELDS[grade_id])
            assert (error is None) == same, (owner, copier, grade_id, error)


def test_sympy_expressions_of_the_module_are_exact():
    v = hw02.variant("s1234567")
    z = sp.Symbol("z")
    assert not v.act(z).atoms(sp.Float)
    assert not v.neuron(z).atoms(sp.Float)
