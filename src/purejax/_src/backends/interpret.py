"""The reference backend: evaluate the Jaxpr equation by equation with each
primitive's impl. Every other backend is tested against this one."""
from __future__ import annotations

from typing import Callable

import numpy as np

from purejax._src import core
from purejax._src.array import Array


def compile_jaxpr(closed: core.ClosedJaxpr, name: str = "jaxpr") -> Callable:
    """A callable taking raw NumPy inputs and returning raw NumPy outputs."""
    jaxpr, consts = closed.jaxpr, closed.consts
    in_weak = [v.aval.weak_type for v in jaxpr.invars]

    def run(*args):
        arrays = [Array(np.asarray(a), w) for a, w in zip(args, in_weak)]
        with core.set_current_trace(core.EvalTrace()):
            outs = core.eval_jaxpr(jaxpr, consts, *arrays)
        return [o._value if type(o) is Array else np.asarray(o) for o in outs]

    run.source = None
    return run
