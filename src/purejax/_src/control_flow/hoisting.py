"""Which rank-0 constants of an eagerly run control-flow body become operands.

Tracing inlines the concrete rank-0 values a function uses as Literals, as JAX does,
and the code generator folds them into the code. Eager control flow traces its
functions anew on every call (closures made per call are new function objects: only the
same object is traced once, common.trace_fun) and reuses code compiled for an earlier call only when
the Jaxprs are equal, Literal values included (common._structural_cached). A loop body
that closes over a scalar argument of the function running it (a Newton solver's
`a`, a step size) has a Literal that changes from call to call, and would be compiled
again on every call.

So for each user function (its code object: the closure is new on every call, the
code is not; see `_origin`) we remember the values its array Literals had at the last trace. A site
whose value changed becomes, from then on, an operand like the consts of other
shapes (hoisted by trace_fun), and the code compiled for the body serves any value
there; sites whose value stayed the same (a `jnp.ones` fill value, a Python literal
the jnp layer turned into an array) stay Literals and keep being folded. Only which
compiled code gets reused depends on this history, never a result: reuse is still
decided by the structural key of the Jaxpr.

Python scalars reaching `bind` unconverted stay Literals (they are code), as do all
Literals of a Jaxpr being staged by jit or make_jaxpr (as in JAX).
"""
from __future__ import annotations

import functools
import types
from typing import Callable

import numpy as np

from purejax._src import core, dtypes
from purejax._src.array import Array
from purejax._src.core import Jaxpr, JaxprEqn, Literal, Var
from purejax._src.interpreters import partial_eval as pe

# (origin of the function, transform, counts) -> (the site values at the last trace,
# the sites found varying)
_history: dict = {}
HISTORY_SIZE = 1024
_NONE = frozenset()


def mark_eager_body(trace: core.Trace) -> set:
    """Record that `trace` stages a control-flow body to be evaluated eagerly, so
    loops nested in the body get the same treatment (see `eager_context`).
    Returns the set where nested loops put the ids of the values they made operands:
    passed to the nested primitive as Literals of this body, they are operands here
    too (else every value change would first recompile the enclosing body)."""
    trace._cf_eager_body = True
    operands = trace._cf_operand_ids = set()
    return operands


def eager_context(trace: core.Trace | None) -> str | None:
    """How a control-flow primitive bound under `trace` will run: "eager" (its impl
    runs now), "body" (as part of the body of an eagerly run loop or branch, see
    `mark_eager_body`) or None (staged by jit or make_jaxpr)."""
    while trace is not None:
        if type(trace) is pe.JaxprTrace and trace.stage_all:
            return "body" if getattr(trace, "_cf_eager_body", False) else None
        trace = trace.parent
    return "eager"


_PY_SCALARS = (bool, int, float, complex)  # exact types: np.float64 is a site


def _is_site(v) -> bool:
    return type(v) is Literal and type(v.val) not in _PY_SCALARS


def _value_key(x):
    if type(x) is Array:
        v = x._value
        return (v.dtype, v.tobytes(), x.weak_type)
    if isinstance(x, (np.ndarray, np.generic)):
        return (x.dtype, x.tobytes())
    return id(x)  # unknown scalar-like type: equal only to itself


def hoist_varying_literals(fun: Callable, transform: str, jaxpr: Jaxpr, consts: list,
                           operand_ids: set) -> tuple[Jaxpr, list]:
    """(jaxpr, consts) with the Literal sites whose values vary across traces of `fun`,
    or whose values nested loops made operands (`operand_ids`), turned into constvars
    (their values appended to consts)."""
    sites = []  # as `_is_site`, in the order `_hoist` counts them (loops in line: this
    # runs on every eager call)
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            if type(v) is Literal and type(v.val) not in _PY_SCALARS:
                sites.append(v.val)
    for v in jaxpr.outvars:
        if type(v) is Literal and type(v.val) not in _PY_SCALARS:
            sites.append(v.val)
    if not sites:
        return jaxpr, consts
    varying = {i for i, x in enumerate(sites) if id(x) in operand_ids} if operand_ids else set()
    origin = _origin(fun)
    if origin is not None:
        values = [_value_key(x) for x in sites]
        # One function may trace to several programs (a body calling a function it
        # was given): the counts tell them apart well enough for a heuristic.
        key = (origin, transform, len(jaxpr.eqns), len(values))
        seen = _history.get(key)
        if seen is not None:
            old_values, old_varying = seen
            if old_values != values:
                varying.update(i for i, (a, b) in enumerate(zip(old_values, values)) if a != b)
            varying.update(old_varying)
        if len(_history) >= HISTORY_SIZE and key not in _history:
            _history.clear()
        _history[key] = (values, frozenset(varying) if varying else _NONE)
    if not varying:
        return jaxpr, consts
    jaxpr, consts, hoisted = _hoist(jaxpr, consts, varying)
    enclosing = getattr(core.current_trace(), "_cf_operand_ids", None)
    if enclosing is not None:  # a body nested in an eagerly run body (see mark_eager_body)
        enclosing.update(id(x) for x in hoisted)
    return jaxpr, consts



def _origin(fun):
    """What identifies `fun` across calls: its code, and the code of the functions it
    closes over (fori_loop's body wrapper is one code for every user body), or None."""
    while type(fun) is functools.partial:
        fun = fun.func
    code = getattr(fun, "__code__", None)
    if code is None:
        return None
    cells = getattr(fun, "__closure__", None)
    if not cells:
        return code
    inner = []
    for cell in cells:
        try:
            f = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if type(f) is types.FunctionType:
            inner.append(f.__code__)
    return (code, *inner) if inner else code


def _hoist(jaxpr: Jaxpr, consts: list, sites: set) -> tuple[Jaxpr, list, list]:
    new_vars: dict = {}  # (id of the value, aval) -> its constvar: one per value
    new_consts: list = []
    count = 0

    def sub(v):
        nonlocal count
        if not _is_site(v):
            return v
        i, count = count, count + 1
        if i not in sites:
            return v
        k = (id(v.val), v.aval)
        var = new_vars.get(k)
        if var is None:
            var = new_vars[k] = Var(v.aval)
            new_consts.append(v.val)
        return var

    eqns = [JaxprEqn([sub(v) for v in e.invars], e.outvars, e.primitive, e.params, e.source)
            for e in jaxpr.eqns]
    outvars = [sub(v) for v in jaxpr.outvars]
    return (Jaxpr(list(jaxpr.constvars) + list(new_vars.values()), jaxpr.invars, outvars, eqns),
            list(consts) + new_consts, new_consts)
