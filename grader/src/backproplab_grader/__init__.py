"""Backprop Lab's autograder: nbgrader's pipeline, student code in a sandbox, tests apart.

A distribution of its own (``backproplab-grader``, ``grader/`` of the Backprop Lab
repository), for instructors, Linux only. It knows nothing of the book's package: what a
course adds is named in its ``nbgrader_config.py`` (``SandboxedExecute.preload``,
``codecs`` and ``call_guards``; see ``executor``, ``wire`` and ``agent``).

Modules, each importing only those listed before it:

- ``i18n``: the notes the grader writes for students, in the student's language (gettext,
  its own domain ``backproplab_grader``; the same API as the book package's ``i18n``);
- ``sandbox_common``: what the sandbox and the zygote share (the kernel's environment);
- ``sandbox``: Jupyter kernels in a bubblewrap sandbox with resource limits;
- ``zygote``: sandboxed kernels forked from a process that has imported the modules once;
- ``wire``: answers as plain data between a student's kernel and the tests' kernel, with
  the codecs a course registers;
- ``agent`` (in the student's kernel) and ``remote`` (in the tests' kernel);
- ``translate``: homework in another language (released notebooks, test messages, rubrics)
  from gettext catalogues (``python -m backproplab_grader.translate``);
- ``executor``: nbgrader preprocessors that rebuild a submission from the release and run
  it with the two kernels;
- ``feedback``: the preprocessor that keeps hidden tests out of the feedback;
- ``nbgrader_patches``: every change made to nbgrader's own objects, with a version check;
- ``course``: releasing the homework (``python -m backproplab_grader.course``);
- ``cli``: the instructor's command, ``backproplab-grader`` (``python -m backproplab_grader``).
"""
