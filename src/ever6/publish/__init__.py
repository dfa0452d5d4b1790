"""The publish stage: a refresh computes the outputs, stores them as a run and writes the web snapshot.

:mod:`ever6.publish.pipeline` holds what the CLI, the demo and the data manager's operations run
(read, import, refresh, export); :mod:`ever6.publish.reuse` what a refresh may take from the
previous run; :mod:`ever6.publish.snapshot` the writer of the web snapshot; and
:mod:`ever6.publish.layout`, a leaf, the snapshot's names and columns, which the reader
(:mod:`ever6.access`) shares. This module imports none of them, so that reading the layout loads no
analytics.
"""
