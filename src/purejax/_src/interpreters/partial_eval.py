"""Staging: record primitives into a Jaxpr.

One trace serves two purposes:
- `stage_all=True` (make_jaxpr, jit): every primitive bound while it is current is
  recorded, even one whose operands are all constants (JAX's "omnistaging").
- `stage_all=False` (linearize): an operation whose operands are all *known* (not
  this trace's tracers) runs at once under the parent trace; only operations that
  touch an unknown value are recorded. Run under a JVP trace whose tangents are
  unknown, this is partial evaluation of the JVP into a primal part, evaluated now,
  and a linear tangent Jaxpr, kept for transposition.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable, Sequence

import numpy as np


from purejax._src import core, dtypes
from purejax._src.core import (ClosedJaxpr, Jaxpr, JaxprEqn, Literal, ShapedArray,
                               Trace, Tracer, Var)


_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SourceInfo:
    """Where user code staged an equation, shown as 'file:line (function)'. Kept as
    the code object and instruction offset, the line found only when shown: finding
    it and formatting cost more than the rest of staging an equation."""
    __slots__ = ("code", "lasti")

    def __init__(self, code, lasti: int):
        self.code = code
        self.lasti = lasti

    def __str__(self):
        line = self.code.co_firstlineno  # (an offset no range holds: the function's line)
        for start, end, lineno in self.code.co_lines():
            if start <= self.lasti < end and lineno is not None:
                line = lineno
                break
        return f"{self.code.co_filename}:{line} ({self.code.co_name})"

    __repr__ = __str__

    def __reduce__(self):  # code objects do not pickle: a pickled one is its text
        return str, (str(self),)


def user_source() -> SourceInfo | None:
    """The innermost frame outside purejax's engine, as a SourceInfo."""
    f = sys._getframe(2)
    engine = _ENGINE_CODE
    while f is not None:
        code = f.f_code
        # by id: hashing a code object hashes its contents, for every frame walked
        hit = engine.get(id(code))
        if hit is None or hit[0] is not code:
            fn = code.co_filename
            hit = (code, fn.startswith(_ENGINE_DIR) or fn.startswith("<purejax"))
            if len(engine) >= 4096:
                engine.clear()
            engine[id(code)] = hit  # holds the code object: its id is not reused
        if not hit[1]:
            return SourceInfo(code, f.f_lasti)
        f = f.f_back
    return None


# id(code object) -> (the code object, whether it is the engine's): user_source runs
# for every staged equation
_ENGINE_CODE: dict = {}


def _captured(x, aval):
    """A constant as the staged program keeps it: a NumPy array the user may still
    write to is copied (and the copy frozen), so that, as in JAX, the program sees
    its value when it was traced, not later mutations; and it takes its abstract
    value's dtype (a float64 array is float32 without x64), which code that passes
    it through unchanged (a jitted function returning it) would otherwise not."""
    if type(x) is np.ndarray and (x.flags.writeable or x.dtype != aval.dtype):
        x = x.astype(aval.dtype)  # a copy
        x.setflags(write=False)
    elif isinstance(x, np.generic) and x.dtype != aval.dtype:
        x = aval.dtype.type(x)
    return x


def _const_aval(x) -> ShapedArray:
    """The abstract value of a constant: NumPy values get JAX's canonical dtypes
    (float64 is float32 without x64), as when they are passed as arguments."""
    aval = core.get_aval(x)
    if isinstance(x, (np.ndarray, np.generic)):
        dt = dtypes.canonicalize_dtype(aval.dtype)
        if dt != aval.dtype:
            aval = ShapedArray(aval.shape, dt, aval.weak_type)
    return aval


class JaxprTracer(Tracer):
    __slots__ = ("_var",)

    def __init__(self, trace: "JaxprTrace", var: Var):
        self._trace = trace
        self._var = var

    @property
    def aval(self):
        return self._var.aval

    def __repr__(self):
        # as JAX 0.10 prints a staged value (jit, make_jaxpr, eval_shape, the tangents
        # of linearize): JitTracer(~float32[])
        return f"JitTracer({self.aval})"


def _note_mutable_const(trace) -> None:
    """Mark `trace` and the traces staging it as having captured a NumPy array the
    user may still write to (its value when traced is baked in), so that their Jaxprs
    are not reused for a later call (control_flow.common.trace_fun's cache): JAX
    passes such an array to a cached loop body by reference, so the loop sees it
    mutated."""
    while trace is not None:
        if type(trace) is JaxprTrace:
            trace.mutable_consts = True
        trace = getattr(trace, "parent", None)


def _note_mutable_input() -> None:
    trace = core._state.trace
    if type(trace) is not core.EvalTrace:  # eager: nothing is being staged
        _note_mutable_const(trace)


dtypes.mutable_input_hook = _note_mutable_input


class JaxprTrace(Trace):
    def __init__(self, parent: Trace, *, stage_all: bool, debug_info: Any = None):
        self.parent = parent
        self.stage_all = stage_all
        self.debug_info = debug_info
        self.eqns: list[JaxprEqn] = []
        self.invars: list[Var] = []
        self.constvars: list[Var] = []
        self.consts: list = []
        self._const_ids: dict = {}  # id -> (Var, the value, kept alive)
        self.mutable_consts = False  # see _note_mutable_const
        # linearize over eager code runs operations on concrete operands at once
        # (process_primitive)
        self.computes_concrete = not stage_all and type(parent) is core.EvalTrace

    def _describe(self):
        if self.debug_info is not None:
            return f"{self.debug_info.transform} of {self.debug_info.func_name}"
        return "jit/make_jaxpr staging" if self.stage_all else "linearization"

    def _concretization_message(self, tracer, what):
        from purejax._src import debug_info as dbg
        return dbg.concretization_message(self, tracer, what)

    def new_arg(self, aval: ShapedArray) -> JaxprTracer:
        v = Var(aval)
        self.invars.append(v)
        return JaxprTracer(self, v)

    def is_own(self, x) -> bool:
        return type(x) is JaxprTracer and x._trace is self

    def to_atom(self, x):
        if type(x) is JaxprTracer and x._trace is self:
            return x._var
        if isinstance(x, Tracer) and not x._trace._alive:
            core._raise_escaped(x)
        return self.const_atom(x)

    def const_atom(self, x):
        if type(x) is np.ndarray and x.flags.writeable:
            _note_mutable_const(self)
        if not isinstance(x, Tracer):
            aval = _const_aval(x)
            if aval.shape == ():
                return Literal(_captured(x, aval), aval)
        key = id(x)
        hit = self._const_ids.get(key)
        if hit is None:
            v = Var(core.get_aval(x) if isinstance(x, Tracer) else aval)
            # x itself stays referenced: its id must not be reused during the trace
            self._const_ids[key] = (v, x)
            self.constvars.append(v)
            self.consts.append(_captured(x, v.aval))
            return v
        return hit[0]

    def process_primitive(self, prim, args, params):
        if not self.stage_all:
            for x in args:
                if type(x) is JaxprTracer and x._trace is self:
                    break
            else:
                parent = self.parent
                if type(parent) is core.EvalTrace and not prim.eval_with_arrays:
                    # known operands of linearize over eager code: evaluated at once
                    # (an impl of this kind binds nothing that would see the trace)
                    return parent.process_primitive(prim, args, params)
                with core.set_current_trace(parent):
                    return prim.bind(*args, **params)
            unknown = [type(x) is JaxprTracer and x._trace is self for x in args]
            rule = getattr(prim, "partial_eval", None)
            if rule is not None and not all(unknown):
                return rule(self, args, unknown, **params)
        invars = [x._var if type(x) is JaxprTracer and x._trace is self else self.to_atom(x)
                  for x in args]
        if prim.abstract_eval is None:
            raise core.MissingRuleError(prim.name, "abstract evaluation (staging)")
        # the same per-signature cache eager evaluation uses
        out_aval = core._eval_signature(
            prim, [(a.shape, a.dtype, a.weak_type) for a in (v.aval for v in invars)], params,
            need_impl=False)
        return self.add_eqn(prim, invars, out_aval, params)

    def add_eqn(self, prim, invars, out_aval, params):
        # user source lines serve make_jaxpr/jit error messages; linearize's internal
        # tangent program does not need them (and walking frames per equation is costly)
        src = user_source() if self.stage_all else None
        if prim.multiple_results:
            outvars = [Var(a) for a in out_aval]
            self.eqns.append(JaxprEqn(invars, outvars, prim, params, src))
            return [JaxprTracer(self, v) for v in outvars]
        outvar = Var(out_aval)
        self.eqns.append(JaxprEqn(invars, [outvar], prim, params, src))
        return JaxprTracer(self, outvar)

    def to_jaxpr(self, outs: Sequence) -> tuple[Jaxpr, list]:
        outvars = [self.to_atom(x) for x in outs]
        jaxpr = Jaxpr(list(self.constvars), list(self.invars), outvars, list(self.eqns))
        return jaxpr, list(self.consts)


def trace_to_jaxpr(fun: Callable, in_avals: Sequence[ShapedArray], *,
                   debug_info=None) -> tuple[Jaxpr, list, list]:
    """Stage `fun` (flat in, flat out) into a Jaxpr. Returns (jaxpr, consts, outs)
    where outs are the raw outputs (for output-tree bookkeeping)."""
    parent = core.current_trace()
    trace = JaxprTrace(parent, stage_all=True, debug_info=debug_info)
    args = [trace.new_arg(a) for a in in_avals]
    try:
        with core.set_current_trace(trace):
            outs = fun(*args)
        jaxpr, consts = trace.to_jaxpr(outs)
    finally:
        trace.invalidate()
    return jaxpr, consts, outs


def convert_constvars_jaxpr(jaxpr: Jaxpr) -> Jaxpr:
    """Turn constvars into leading invars."""
    return Jaxpr([], list(jaxpr.constvars) + list(jaxpr.invars), jaxpr.outvars, jaxpr.eqns)


def dce_jaxpr(jaxpr: Jaxpr, used_outputs: Sequence[bool] | None = None) -> Jaxpr:
    """Drop equations none of whose outputs is used (all primitives are pure)."""
    outvars = jaxpr.outvars if used_outputs is None else \
        [v for v, u in zip(jaxpr.outvars, used_outputs) if u]
    live = {v for v in outvars if type(v) is not Literal}
    eqns = []
    for eqn in reversed(jaxpr.eqns):
        if any(v in live for v in eqn.outvars) or getattr(eqn.primitive, "effectful", False):
            eqns.append(eqn)
            live.update(v for v in eqn.invars if type(v) is not Literal)
    eqns.reverse()
    return Jaxpr(jaxpr.constvars, jaxpr.invars, outvars, eqns)


def partial_eval_jaxpr(jaxpr: Jaxpr, unknowns: Sequence[bool]):
    """Split `jaxpr` into a known part and an unknown part.

    Returns (known, unknown, out_unknowns, num_res): `known` maps the known inputs to
    the known outputs followed by residuals; `unknown` maps residuals followed by the
    unknown inputs to the unknown outputs. An equation is unknown when any input is.
    Known outputs needed as unknown (e.g. a known output listed among unknowns) are
    not produced: callers instantiate what they need.
    """
    unknown_vars = {v for v, u in zip(jaxpr.invars, unknowns) if u}
    known_eqns, unknown_eqns = [], []
    for eqn in jaxpr.eqns:
        in_unknown = [type(v) is not Literal and v in unknown_vars for v in eqn.invars]
        if not any(in_unknown):
            known_eqns.append(eqn)
            continue
        rule = getattr(eqn.primitive, "partial_eval_jaxpr", None)
        if rule is not None and not all(in_unknown):
            # a call whose body splits too (pjit): its known outputs stay known
            known_eqn, unknown_eqn, out_unknown = rule(eqn, in_unknown)
            known_eqns.append(known_eqn)
            unknown_eqns.append(unknown_eqn)
            unknown_vars.update(v for v, u in zip(eqn.outvars, out_unknown) if u)
            continue
        unknown_vars.update(eqn.outvars)
        unknown_eqns.append(eqn)
    out_unknowns = [type(v) is not Literal and v in unknown_vars for v in jaxpr.outvars]
    defined_unknown = set(v for v, u in zip(jaxpr.invars, unknowns) if u)
    for eqn in unknown_eqns:
        defined_unknown.update(eqn.outvars)
    residuals, seen = [], set()
    for eqn in unknown_eqns:
        for v in eqn.invars:
            if type(v) is not Literal and v not in defined_unknown and v not in seen:
                seen.add(v)
                residuals.append(v)
    for v, u in zip(jaxpr.outvars, out_unknowns):
        if u and type(v) is not Literal and v not in defined_unknown and v not in seen:
            seen.add(v)
            residuals.append(v)
    # constvars used by unknown equations are residuals too (they are known)
    known_in = [v for v, u in zip(jaxpr.invars, unknowns) if not u]
    known = Jaxpr(jaxpr.constvars, known_in,
                  [v for v, u in zip(jaxpr.outvars, out_unknowns) if not u] + residuals,
                  known_eqns)
    res_vars = [Var(v.aval) for v in residuals]
    sub = dict(zip(residuals, res_vars))
    unknown_in = [v for v, u in zip(jaxpr.invars, unknowns) if u]
    unknown = Jaxpr([], res_vars + unknown_in,
                    [sub.get(v, v) for v, u in zip(jaxpr.outvars, out_unknowns) if u],
                    [JaxprEqn([sub.get(v, v) if type(v) is not Literal else v for v in e.invars],
                              e.outvars, e.primitive, e.params) for e in unknown_eqns])
    return known, unknown, out_unknowns, len(residuals)


__all__ = ["partial_eval_jaxpr", "JaxprTrace", "JaxprTracer", "trace_to_jaxpr", "dce_jaxpr", "ClosedJaxpr"]
