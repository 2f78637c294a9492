"""The benchmark workloads, one module each.

Every module defines the same small interface, which the worker
(``bench/worker.py``) drives:

``ID``, ``TITLE``
    Short id (``"W3"``) and a one-line description for the table.
``TASKS``
    The rows this workload contributes, e.g. ``("forward", "grad")``.
``RTOL``, ``ATOL``
    float32 tolerances for the cross-check against the NumPy reference
    (``ATOL`` is relative to the largest magnitude in the reference leaf).
``make_inputs(quick) -> dict``
    NumPy float32 inputs from a fixed seed; every library gets the same ones.
``numpy_impl(task, inputs)``, ``jaxlike_impl(task, inputs, L, jit)``,
``autograd_impl(task, inputs)``, ``torch_impl(task, inputs)``
    Each returns a *thunk*: a zero-argument callable that does one unit of
    work and returns its result as a flat tuple of arrays (or scalars).
    Building the thunk is not timed; calling it is.  ``jaxlike_impl`` is
    shared by purejax and JAX (``L.jax``, ``L.jnp``, ``L.lax``), so both run
    the very same source; it builds fresh functions on every call so that a
    new ``jit`` really traces and compiles again.
    A module may leave out an implementation; that library is then reported
    as "n/a" for the workload.
"""

from . import (w1_log1pexp, w2_chain, w3_mlp, w4_per_example, w5_hvp,
               w6_elementwise, w7_newton_sqrt)

WORKLOADS = {m.ID: m for m in (w1_log1pexp, w2_chain, w3_mlp, w4_per_example,
                               w5_hvp, w6_elementwise, w7_newton_sqrt)}

# W8 (import time) is measured by bench/import_time.py, not by the workers.
ALL_IDS = tuple(WORKLOADS) + ("W8",)
