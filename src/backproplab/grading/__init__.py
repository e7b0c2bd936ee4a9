"""Autograding Backprop Lab's homework so that it cannot be fooled, in parallel.

- ``sandbox``: Jupyter kernels in a bubblewrap sandbox with resource limits;
- ``wire``: answers as plain data between a student's kernel and the tests' kernel;
- ``agent`` (in the student's kernel) and ``remote`` (in the tests' kernel);
- ``executor``: nbgrader preprocessors that rebuild a submission from the release and run
  it with the two kernels;
- ``cli``: the instructor's command, ``python -m backproplab.grading``.
"""
