"""Which names the grader fetches from a student's kernel: those the solution cell binds at
module scope (``executor.defined_names``)."""

from backproplab_grader.executor import defined_names


def test_top_level_assignments_definitions_and_targets():
    source = ("a = 1\nb, (c, d) = 2, (3, 4)\ne += 1\nf: int = 5\n"
              "def g():\n    local = 1\n    return local\nclass H:\n    attribute = 1\n")
    assert defined_names(source) == ["a", "b", "c", "d", "e", "f", "g", "H"]


def test_names_bound_inside_blocks_at_module_scope():
    source = ("if kind == 'coupled':\n    answer = 1\nelif kind == 'peephole':\n    answer = 2\n"
              "else:\n    other = 3\n"
              "for i in range(3):\n    total = i\n"
              "while False:\n    never = 0\n"
              "with open('x') as handle:\n    text = 1\n"
              "try:\n    tried = 1\nexcept ValueError:\n    caught = 1\nfinally:\n    done = 1\n")
    assert defined_names(source) == ["answer", "other", "i", "total", "never", "handle", "text",
                                     "tried", "caught", "done"]


def test_function_locals_comprehensions_and_broken_cells_bind_nothing():
    assert defined_names("def f():\n    if True:\n        x = 1\n") == ["f"]
    assert defined_names("squares = [y * y for y in range(3)]\n") == ["squares"]
    assert defined_names("def broken(:\n") == []
