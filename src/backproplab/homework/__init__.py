"""The homework's per-student variants, one module per homework (``hw01`` ... ``hw06``).

Each module has a frozen ``Variant`` dataclass (a ``backproplab.variants.Variant``) and
``variant(student_id) -> Variant``, which draws that student's numbers for the homework of
the same name in ``solutions/``. A variant holds the task's numbers and choices, never its
answers: expected results are computed by the hidden tests.
"""
