"""Grading, split where the trust boundary is.

Trusted steps run in the grader's process, next to the course gradebook:

* :mod:`~cnnkit.grader.prepare`: a submitted file -> the notebook to run (nbgrader's sanitising);
* :mod:`~cnnkit.grader.record`: the sandbox's report -> scores (:mod:`~cnnkit.grader.judge`) and
  the integrity report (:mod:`~cnnkit.grader.integrity`, :mod:`~cnnkit.grader.rules`);
* :mod:`~cnnkit.grader.merge`: scores -> the course gradebook, through nbgrader's API;
* :mod:`~cnnkit.grader.report`: tables, CSV files and the summary figure.

The untrusted step runs elsewhere:

* :mod:`~cnnkit.grader.execute` starts one notebook in a :mod:`~cnnkit.grader.sandbox`, in a
  :mod:`~cnnkit.grader.pool` (local threads or Dask workers); the files under ``inside/`` are all
  that runs in the sandbox besides the notebook and its kernel.

:mod:`~cnnkit.grader.pipeline` composes the steps; :mod:`~cnnkit.grader.cli` is
``python -m cnnkit grade``.
"""
