"""Eager reverse mode: a tape of per-primitive pullbacks.

`vjp`/`grad` called outside any transformation (the current trace is the
`EvalTrace`) need no Jaxpr of the whole function: nobody will stage, batch or print
it. This trace runs each primitive at once and records, per operation, how to pull
a cotangent back through it, like autograd's tape. The pullback is the same one
linearize + transpose would build (the primitive's own JVP rule, partially
evaluated and transposed), so values are the same as on the staged path:

- the first time a primitive is seen with an operand signature, it is linearized
  on its own (`ad.linearize_flat` of one primitive), exactly as the staged path does;
- from the second time on, the JVP rule's known part and the transpose of its
  linear part are compiled once per signature (`_Template`) and called on NumPy
  buffers: no tracers, no staging, no per-operation Jaxpr.

Higher-order primitives (jit, cond, scan, remat...) get templates too, keyed by the
structure of their sub-Jaxprs (backends/structural_key.py: eager control flow traces
closures made per call anew), so grad(jit(f)) and grad of a cond compile once.
Operands or cotangents that are tracers of an enclosing vmap or jvp get the same
template, its equations bound to that trace instead of compiled. Anything unusual
(custom rules, unhashable parameters, NaN/inf checking) takes the per-operation
linearize path, which handles everything the staged path handles. Nested
transformations see this trace as an ordinary parent.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from purejax._src import core, dtypes
from purejax._src.array import Array
from purejax._src.backends import structural_key
from purejax._src.config import _flags
from purejax._src.core import ClosedJaxpr, Literal, Trace, Tracer
from purejax._src.interpreters import ad
from purejax._src.interpreters import partial_eval as pe
from purejax._src.interpreters.ad import Zero
from purejax._src.interpreters.ad import JVPTrace as _JVPTrace
from purejax._src.interpreters.ad import JVPTracer as _JVPTracer
from purejax._src.interpreters.batching import BatchTrace as _BatchTrace
from purejax._src.interpreters.batching import BatchTracer as _BatchTracer


class TapeTracer(Tracer):
    """A value on the tape. `src` is (node, output index): where its cotangent goes,
    made once for every operation the value feeds. A template output keeps its NumPy
    buffer and abstract value and makes its `primal` Array only when asked (the hot
    path reads the buffer)."""
    __slots__ = ("_primal", "src", "_val", "_aval", "_sig")

    def __init__(self, trace: "TapeTrace", primal, node: "_Node", index: int):
        self._trace = trace
        self._primal = primal
        self.src = (node, index)
        if type(primal) is Array:  # what the hot path reads (_eager_template_call)
            v = primal._value
            self._val, self._aval = v, primal.aval
            self._sig = (v.shape, v.dtype, primal.weak_type, True)
        else:
            self._val = self._aval = self._sig = None

    @property
    def primal(self):
        p = self._primal
        if p is None:
            p = self._primal = Array(self._val, self._aval.weak_type)
        return p

    @property
    def aval(self):
        a = self._aval
        if a is None:
            p = self._primal
            a = self._aval = p.aval if type(p) is Array else core.get_aval(p)
        return a

    def to_concrete_value(self):
        p = self.primal
        if isinstance(p, Tracer):
            return p.to_concrete_value()
        return core.concrete_or_error(p)

    def __repr__(self):
        # eager grad/vjp: what JAX 0.10 prints for its LinearizeTracer
        return ad.grad_tracer_repr(self.primal, self.aval.to_tangent_aval())


def _template_output(trace, o, node, aval, sig) -> TapeTracer:
    """A TapeTracer for output 0 of a template node: the buffer `o`, its aval and its
    signature entry, no Array yet."""
    t = _new_tracer(TapeTracer)
    t._trace = trace
    t._primal = None
    t._val = o
    t._aval = aval
    t._sig = sig
    t.src = (node, 0)
    return t


_new_tracer = object.__new__


class _Node:
    """One recorded operation: where its differentiable operands came from and how
    to map its output cotangents to theirs."""
    __slots__ = ("parents", "pullback", "n_out", "residuals", "tmpl")

    def __init__(self, parents, pullback, n_out, residuals=(), tmpl=None):
        self.parents = parents    # per operand: (node, index) or None
        # list of output cts (None = zero) -> list per operand; None: tmpl's, made when
        # the reverse pass needs it (rarely: it calls tmpl's compiled part directly)
        self.pullback = pullback
        self.n_out = n_out
        self.residuals = residuals  # what the pullback keeps alive
        # a single-output template whose residuals are NumPy buffers: the reverse pass
        # may call its compiled backward part on NumPy cotangents directly
        self.tmpl = tmpl


class TapeTrace(Trace):
    def __init__(self, parent: Trace):
        self.parent = parent
        self.tape: list[_Node] = []
        # (operand buffer, float32 mode, {(primitive, params): result}): what the last
        # one-operand template computing more than its own output (_Template.memo)
        # computed, for the next such template on the same buffer to reuse
        self._memo = None

    def _describe(self):
        return "grad/vjp"

    def _concretization_message(self, tracer, what):
        return f"Attempted {what} of a traced value {tracer.aval.str_short()} under grad."

    def _unpack(self, args):
        primals, parents, any_diff = [], [], False
        for x in args:
            if type(x) is TapeTracer and x._trace is self:
                primals.append(x.primal)
                parents.append(x.src)
                any_diff = True
            else:
                if isinstance(x, Tracer) and not x._trace._alive:
                    core._raise_escaped(x)
                primals.append(x)
                parents.append(None)
        return primals, parents, any_diff

    def process_primitive(self, prim, args, params):
        tp = type(self.parent)
        if tp is core.EvalTrace:
            out = self._eager_template_call(prim, args, params)
            if out is not None:
                return out
        elif tp is _BatchTrace:
            out = self._batched_template_call(prim, args, params)
            if out is not None:
                return out
        primals, parents, any_diff = self._unpack(args)
        if not any_diff:
            with core.set_current_trace(self.parent):
                return prim.bind(*primals, **params)
        template = _template_for(prim, primals, parents, params)
        if template is not None:
            outs, res, raw = template.forward(primals, self.parent)
            pullback = template.pullback(res, raw)
            out_nonzero = template.out_nonzero
            residuals = res
        else:
            outs, lin = self._linearize(
                ad.linearize_flat, lambda *xs: _as_list(prim, prim.bind(*xs, **params)),
                primals, parents)
            pullback = _lin_pullback(lin)
            out_nonzero = lin.out_nonzero
            residuals = lin.consts
        wrapped = self._record(parents, pullback, outs, out_nonzero, residuals)
        return wrapped if prim.multiple_results else wrapped[0]

    def _eager_template_call(self, prim, args, params):
        """The hot path of eager reverse mode in one pass over the operands: Array
        operands, a compiled template with one differentiable output. None (having
        done nothing) for anything else, which the general path then handles."""
        if len(args) == 2:  # binary operations, unrolled
            x, y = args
            t = type(x)
            if t is TapeTracer and x._trace is self:
                vx, sx, px = x._val, x._sig, x.src
                if vx is None:
                    return None
            elif t is Array:
                vx, px = x._value, None
                sx = (vx.shape, vx.dtype, x.weak_type, False)
            else:
                return None
            t = type(y)
            if t is TapeTracer and y._trace is self:
                vy, sy, py = y._val, y._sig, y.src
                if vy is None:
                    return None
            elif t is Array:
                vy, py = y._value, None
                sy = (vy.shape, vy.dtype, y.weak_type, False)
            else:
                return None
            vals, parents, sig = (vx, vy), [px, py], (sx, sy)
        else:
            vals, parents, sig = [], [], []
            for x in args:
                t = type(x)
                if t is TapeTracer and x._trace is self:
                    v = x._val
                    if v is None:
                        return None
                    sig.append(x._sig)
                    parents.append(x.src)
                elif t is Array:
                    v = x._value
                    parents.append(None)
                    sig.append((v.shape, v.dtype, x.weak_type, False))
                else:
                    return None
                vals.append(v)
            sig = tuple(sig)
        tmpl = _hot_template(prim, sig, params)
        if tmpl is None:
            return None
        if tmpl.memo is None:
            raw = (tmpl._forward_fn or tmpl.forward_fn())(*vals)
        else:
            raw = self._memo_forward(tmpl, vals[0])
        o = raw[0]
        node = _Node(parents, None, 1, raw[1:], tmpl)
        self.tape.append(node)
        if type(o) is not np.ndarray:
            o = np.asarray(o)
        # (not frozen yet: the compiled parts never write into their operands, and the
        # primal's Array freezes it before a user can see it)
        return _template_output(self, o, node, tmpl.out_aval, tmpl.out_sig)

    def _memo_forward(self, tmpl, v):
        """The forward part of a template whose outputs are each a one-operand primitive
        of its operand (sin's: sin x and its residual cos x), on the operand's buffer `v`:
        what the last such template computed on that very buffer when it holds every
        output (cos x after sin x: jit's CSE, eagerly), else computed and remembered.
        Same bits: the same compiled equations on the same buffer."""
        mode = _flags["purejax_float32_math"]
        last = self._memo
        if last is not None and last[0] is v and last[1] == mode:
            made, raw = last[2], []
            for key in tmpl.memo:
                o = v if key is _OPERAND else made.get(key)
                if o is None:
                    break
                raw.append(o)
            else:
                return raw
        raw = (tmpl._forward_fn or tmpl.forward_fn())(v)
        self._memo = (v, mode, dict(zip(tmpl.memo, raw)))
        return raw

    def _batched_template_call(self, prim, args, params):
        """The hot path under an eager vmap (the parent is a BatchTrace) in one pass:
        operands that are this tape's tracers, the vmap's tracers or Arrays, and a
        compiled single-output template, batched per pattern. None (having done
        nothing) for anything else, which the general path then handles."""
        primals, parents, sig = [], [], []
        any_diff = False
        for x in args:
            t = type(x)
            if t is TapeTracer and x._trace is self:
                p = x.primal
                parents.append(x.src)
                any_diff = True
            elif t is _BatchTracer or t is Array:
                p = x
                parents.append(None)
            else:
                return None
            tp = type(p)
            if tp is Array:
                a = p._aval or p.aval
            elif tp is _BatchTracer:
                a = p.aval
            else:
                return None
            sig.append((a.shape, a.dtype, a.weak_type, t is TapeTracer))
            primals.append(p)
        if not any_diff:
            return None
        tmpl = _hot_template(prim, tuple(sig), params)
        if tmpl is None:
            return None
        outs = tmpl._batched_call("fwd", tmpl.known, primals, self.parent)
        if outs is None:
            return None
        res = outs[1:]
        node = _Node(parents, tmpl.pullback(res, False), 1, res)
        self.tape.append(node)
        return TapeTracer(self, outs[0], node, 0)

    def _linearize(self, linearize, fn, primals, parents):
        """`linearize` (ad.linearize_flat or ad.linearize_jvp) of `fn` under the parent
        trace, differentiating the operands that came from this tape."""
        diff = [p is not None and dtypes.is_inexact(core.get_aval(x).dtype)
                for x, p in zip(primals, parents)]
        with core.set_current_trace(self.parent):
            return linearize(fn, primals, diff)

    def _record(self, parents, pullback, outs, out_nonzero, residuals):
        if not any(out_nonzero):
            return list(outs)
        node = _Node(parents, pullback, len(outs), residuals)
        self.tape.append(node)
        return [TapeTracer(self, o, node, i) if nz else o
                for i, (o, nz) in enumerate(zip(outs, out_nonzero))]

    def custom_jvp_call(self, cj, args):
        """custom_jvp's fast path: cj(*args) on this tape, or NotImplemented."""
        from purejax._src.interpreters.tape_custom import custom_jvp_call
        return custom_jvp_call(self, cj, args)

    def process_custom_jvp_call(self, fun, jvp, args, symbolic_zeros):
        primals, parents, any_diff = self._unpack(args)
        if not any_diff:
            with core.set_current_trace(self.parent):
                return self.parent.process_custom_jvp_call(fun, jvp, primals, symbolic_zeros)
        # (jvp is custom_derivatives' flat rule: it materializes or keeps Zero tangents)
        return self.record_rule(lambda tangents: jvp(primals, tangents), primals, parents,
                                lambda: repr(getattr(jvp, "__name__", jvp)))

    def record_rule(self, run, primals, parents, who):
        """Linearize a custom_jvp rule itself (what linearize does, without a JVP trace
        around): `run(tangents)`, returning flat (primal outputs, tangent outputs), runs
        once with concrete primals and, for the operands that came from this tape,
        tangents that are unknowns of a partial-evaluation trace (Zero for the others),
        so that only the tangent computation is staged; the node's pullback transposes
        that linear Jaxpr. `who()` names the rule in errors."""
        rec = pe.JaxprTrace(self.parent, stage_all=False)
        parents = list(parents)
        tangents = []
        for i, (p, src) in enumerate(zip(primals, parents)):
            aval = core.get_aval(p).to_tangent_aval()
            if src is not None and aval.dtype.kind in "fc":
                tangents.append(rec.new_arg(aval))
            else:
                parents[i] = None
                tangents.append(Zero(aval))
        try:
            with core.set_current_trace(rec):
                p_out, t_out = run(tangents)
            for p in p_out:
                if type(p) is pe.JaxprTracer and p._trace is rec:
                    from purejax._src.custom_derivatives import CustomRuleError
                    raise CustomRuleError(
                        f"custom_jvp rule {who()}: its primal output depends on the input "
                        "tangents; the primal output must be computed from the primals "
                        "alone.")
            out_nonzero = [type(t) is not Zero for t in t_out]
            outvars = [rec.to_atom(t) for t, nz in zip(t_out, out_nonzero) if nz]
        finally:
            rec.invalidate()
        jaxpr = core.Jaxpr(rec.constvars, rec.invars, outvars, rec.eqns)
        consts = rec.consts

        def pullback(cts):
            lin_cts = [ct for ct, nz in zip(cts, out_nonzero) if nz]
            in_cts = iter(ad.backward_pass(jaxpr, consts, lin_cts))
            return [None if src is None else next(in_cts) for src in parents]

        return self._record(parents, pullback, p_out, out_nonzero, consts)

    def process_custom_vjp_call(self, fun, fwd, bwd, args, out_trees):
        """Run fwd now and record bwd as the pullback, as autograd records a primitive
        with its VJP: what linearize + transpose of the custom_vjp would do (fwd under
        the parent trace, bwd on the residuals at transpose time), without staging."""
        primals, parents, any_diff = self._unpack(args)
        with core.set_current_trace(self.parent):
            if not any_diff:
                return self.parent.process_custom_vjp_call(fun, fwd, bwd, primals, out_trees)
            # an operand is perturbed when it came from this tape (symbolic_zeros fwd rules)
            outs, res = fwd(*primals, perturbed=[p is not None for p in parents])
        out_avals = [core.get_aval(o).to_tangent_aval() for o in outs]

        def pullback(cts):
            cts = [Zero(a) if c is None else c for c, a in zip(cts, out_avals)]
            return [None if type(ct) is Zero else ct for ct in bwd(res, cts)]
        out_nonzero = [dtypes.is_inexact(a.dtype) for a in out_avals]
        return self._record(parents, pullback, outs, out_nonzero, res)


def _hot_template(prim, sig, params):
    """The compiled single-output template for this signature, if one exists and the
    hot paths may use it (no NaN/inf checking), else None."""
    try:
        tmpl = _templates.get((prim, sig, tuple(params.items()) if params else ()))
    except TypeError:  # an unhashable parameter
        return None
    if not tmpl or not tmpl.single or _flags["jax_debug_nans"] or _flags["jax_debug_infs"]:
        return None
    return tmpl


def _as_list(prim, out):
    return list(out) if prim.multiple_results else [out]


def _lin_pullback(lin: ad.LinearFunction):
    def pullback(cts):
        cts = [Zero(a) if c is None else c for c, a in zip(cts, lin.out_avals)]
        return lin.transpose(cts)
    return pullback


# ---------------------------------------------------------------------------
# Compiled per-signature pullbacks

_seen: set = set()  # hashes of the keys seen once (see seen_before)
_templates: dict = {}
_CACHE_LIMIT = 4096


def seen_before(seen: set, key) -> bool:
    """Whether `key` was seen before; else notes it. By hash, holding no key: a key
    may hold a large const, which a one-off call must not keep alive."""
    h = hash(key)
    if h in seen:
        return True
    if len(seen) >= _CACHE_LIMIT:
        seen.clear()
    seen.add(h)
    return False


def _template_for(prim, primals, parents, params):
    if prim.jvp is None or _flags["jax_debug_nans"] or _flags["jax_debug_infs"]:
        return None
    sig = []
    for x, p in zip(primals, parents):
        t = type(x)
        if t is Array:
            v = x._value
            sig.append((v.shape, v.dtype, x.weak_type, p is not None))
        elif t is np.ndarray:
            sig.append((x.shape, x.dtype, False, p is not None))
        elif isinstance(x, Tracer):  # an enclosing transformation's value (vmap, jvp)
            a = x.aval
            sig.append((a.shape, a.dtype, a.weak_type, p is not None))
        else:
            return None  # Python scalars and foreign values: the general path coerces them
    if prim.eval_with_arrays:
        # a primitive of sub-Jaxprs (jit, cond, scan, remat...): eager control flow
        # traces them anew on every call, so they are keyed by structure, with every
        # param of their equations (their custom rules' too: they are differentiated)
        pkey = structural_key.params_key(params, full=True)
        if pkey is None:
            return None
        key = (prim, tuple(sig), pkey, _flags["purejax_jit_backend"])
        hit = _templates.get(key)
    else:
        try:
            key = (prim, tuple(sig), tuple(params.items()) if params else ())
            hit = _templates.get(key)
        except TypeError:
            return None
    if hit is not None:
        return hit if hit is not False else None
    if not seen_before(_seen, key):  # compile only what repeats: a one-off pays the
        return None                   # general path once
    try:
        tmpl = _Template(prim, params, sig)
    except Exception:  # a rule that needs concrete values: stay on the general path
        tmpl = False
    if len(_templates) >= _CACHE_LIMIT:
        _templates.clear()
    _templates[key] = tmpl
    return tmpl if tmpl is not False else None


class _NotSplittable(Exception):
    pass


_OPERAND = object()  # a forward output that is the template's operand itself


def _memo_keys(known: core.Jaxpr):
    """Per output of a one-operand template's forward part: (primitive, params) when
    it is that primitive applied to the operand alone, _OPERAND when it is the operand.
    None when some output is neither, or when the outputs are all one primitive's
    (exp's output is its own residual: nothing another template could share)."""
    if len(known.invars) != 1 or known.constvars:
        return None
    a = known.invars[0]
    made = {}
    for e in known.eqns:
        if len(e.invars) == 1 and e.invars[0] is a and not e.primitive.multiple_results:
            key = (e.primitive, tuple(e.params.items()))
            try:
                hash(key)
            except TypeError:
                continue
            made[e.outvars[0]] = key
    keys = []
    for v in known.outvars:
        if v is a:
            keys.append(_OPERAND)
        elif type(v) is not Literal and v in made:
            keys.append(made[v])
        else:
            return None
    return tuple(keys) if len({k for k in keys if k is not _OPERAND}) > 1 else None


def staged_jvp(prim, params, avals, nonzero, box: list) -> Callable:
    """`prim`'s JVP rule as a flat function to stage: (primals, then the tangents of the
    operands marked in `nonzero`) -> (primal outputs, then the output tangents that are
    not symbolic zeros); appends to `box` which output tangents are nonzero."""
    n = len(avals)

    def jvp_fn(*args):
        it = iter(args[n:])
        tangents = [next(it) if nz else Zero(a.to_tangent_aval())
                    for a, nz in zip(avals, nonzero)]
        out, t_out = prim.jvp(list(args[:n]), tangents, **params)
        outs, touts = _as_list(prim, out), _as_list(prim, t_out)
        box.append([type(t) is not Zero for t in touts])
        return outs + [t for t in touts if type(t) is not Zero]
    return jvp_fn


def _split_by_linearize(prim, params, in_avals, diff):
    """The JVP of a higher-order primitive split as `_Template` needs it, by staging
    `linearize` itself: its known work (the primitive's partial-evaluation rule splits
    the sub-Jaxprs) becomes the known Jaxpr, outputs then residuals; its linear Jaxpr,
    residuals first, the unknown one. (pe.partial_eval_jaxpr has no such rules: it
    would leave the whole primitive unknown.)"""
    box = []

    def known_fn(*primals):
        outs, lin = ad.linearize_flat(lambda *xs: _as_list(prim, prim.bind(*xs, **params)),
                                      primals, diff)
        box.append(lin)
        return list(outs) + list(lin.consts)

    known, consts, _ = pe.trace_to_jaxpr(known_fn, in_avals)
    lin = box[0]
    return (known, consts, pe.convert_constvars_jaxpr(lin.jaxpr), list(lin.out_nonzero),
            len(lin.consts))


class _Template:
    """The JVP rule of one primitive at one operand signature, split into a compiled
    forward part (primal outputs and residuals) and a compiled transposed linear part
    (residuals and output cotangents to operand cotangents)."""

    def __init__(self, prim, params, sig):
        from purejax._src import jit  # jit's transpose of a closed Jaxpr, and its backend
        in_avals = [core.ShapedArray(s, d, w) for s, d, w, _ in sig]
        diff = [d and dtypes.is_inexact(dt) for _, dt, _, d in sig]
        tan_avals = [a.to_tangent_aval() for a, d in zip(in_avals, diff) if d]
        n = len(in_avals)
        if prim.eval_with_arrays:
            known, consts, unknown, out_nonzero, num_res = _split_by_linearize(
                prim, params, in_avals, diff)
            n_out = len(out_nonzero)
            out_vars = known.outvars[:n_out]
        else:
            nz_box: list = []
            jaxpr, consts, _ = pe.trace_to_jaxpr(
                staged_jvp(prim, params, in_avals, diff, nz_box), in_avals + tan_avals)
            out_nonzero = nz_box[0]
            n_out = len(out_nonzero)
            known, unknown, out_unknowns, num_res = pe.partial_eval_jaxpr(
                jaxpr, [False] * n + [True] * len(tan_avals))
            if any(out_unknowns[:n_out]) or not all(out_unknowns[n_out:]):
                raise _NotSplittable(prim.name)
            out_vars = jaxpr.outvars[:n_out]
        self.out_nonzero = out_nonzero
        self.out_weak = [v.aval.weak_type for v in out_vars]
        self.diff = diff
        self.name = prim.name
        self.known = ClosedJaxpr(known, consts)
        n_ct = sum(out_nonzero)
        self.transposed = jit._transpose_jaxpr(
            ClosedJaxpr(unknown, []), (False,) * num_res + (True,) * len(tan_avals),
            (True,) * n_ct)
        self.out_avals = [v.aval for v in out_vars]
        self.res_weak = [v.aval.weak_type for v in known.outvars[n_out:]]
        self.ct_weak = [a.weak_type for a in self.transposed.out_avals]
        self.n_out = n_out
        self.all_diff = all(diff)
        self.single = n_out == 1 and out_nonzero[0] and not prim.multiple_results
        if self.single:  # what the hot path gives its output, and reads back as an operand
            a = self.out_aval = self.out_avals[0]
            self.out_sig = (a.shape, a.dtype, a.weak_type, True)
        self.memo = _memo_keys(known) if self.single and n == 1 else None
        self._forward_fn = self._backward_fn = None
        self._batched: dict = {}  # (part, axis size, batched operands) -> compiled vmap

    def forward(self, primals, parent):
        """(outputs, residuals, whether they are NumPy values): compiled on NumPy
        buffers when the operands are concrete; under an enclosing transformation, the
        known part's equations are bound there."""
        n_out = self.n_out
        vals = []
        for x in primals:
            t = type(x)
            if t is Array:
                vals.append(x._value)
            elif t is np.ndarray:
                vals.append(x)
            else:
                outs = self._batched_call("fwd", self.known, primals, parent)
                if outs is None:
                    outs = self._jvp_call("fwd", self.known, primals, parent)
                if outs is None:
                    with core.set_current_trace(parent):
                        outs = core.eval_jaxpr(self.known.jaxpr, self.known.consts, *primals)
                return outs[:n_out], outs[n_out:], False
        raw = (self._forward_fn or self.forward_fn())(*vals)
        if n_out == 1:
            o = raw[0]
            return [Array(o if type(o) is np.ndarray else np.asarray(o), self.out_weak[0])], \
                raw[1:], True
        outs = [Array(o if type(o) is np.ndarray else np.asarray(o), w)
                for o, w in zip(raw[:n_out], self.out_weak)]
        return outs, raw[n_out:], True

    def forward_fn(self):
        """The compiled known part: operands -> primal outputs and residuals, on NumPy
        values."""
        if self._forward_fn is None:
            from purejax._src import jit
            self._forward_fn = jit.compiled_for(self.known, f"{self.name}_fwd")
        return self._forward_fn

    def backward_fn(self):
        """The compiled transposed part: (residuals, output cotangents) -> operand
        cotangents, on NumPy values."""
        if self._backward_fn is None:
            from purejax._src import jit
            self._backward_fn = jit.compiled_for(self.transposed, f"{self.name}_bwd")
        return self._backward_fn

    def pullback(self, res, raw_res: bool):
        """The node's pullback; `raw_res`: the residuals are NumPy values (the forward
        part ran compiled), not values of an enclosing transformation."""

        def pullback(cts):
            if self.n_out == 1:
                c = cts[0]
                cts = [c if c is not None else
                       ad.zeros_like_aval(self.out_avals[0].to_tangent_aval())]
            else:
                cts = [c if c is not None else ad.zeros_like_aval(a.to_tangent_aval())
                       for c, nz, a in zip(cts, self.out_nonzero, self.out_avals) if nz]
            if raw_res and (type(cts[0]) is Array if len(cts) == 1 else
                            all(type(c) is Array for c in cts)):
                fn = self._backward_fn or self.backward_fn()
                raw = fn(*res, *[c._value for c in cts])
                outs = [Array(o if type(o) is np.ndarray else np.asarray(o), w)
                        for o, w in zip(raw, self.ct_weak)]
            else:  # traced residuals or cotangents: bind the transposed equations
                vals = [Array(np.asarray(r), w) if raw_res else r
                        for r, w in zip(res, self.res_weak)]
                trace = core.current_trace()
                outs = self._batched_call("bwd", self.transposed, vals + cts, trace)
                if outs is None:
                    outs = self._jvp_call("bwd", self.transposed, vals + cts, trace)
                if outs is None:
                    outs = core.eval_jaxpr(self.transposed.jaxpr, self.transposed.consts,
                                           *vals, *cts)
            if self.all_diff:
                return outs
            it = iter(outs)
            return [next(it) if d else None for d in self.diff]
        return pullback

    def _jvp_call(self, part, closed, args, trace):
        """`closed` on `args` when they are values of an eager jvp `trace` (its parent
        the EvalTrace) with concrete primals and tangents (forward-over-reverse): the
        part's JVP (control_flow.common.jvp_jaxpr, the equations' own JVP rules)
        compiled once per pattern of nonzero tangents, instead of each equation's rule
        running op by op on every call. None when the operands are anything else."""
        if type(trace) is not _JVPTrace or type(trace.parent) is not core.EvalTrace:
            return None
        vals, tans, nonzero = [], [], []
        for x in args:
            p, t = trace.to_primal_tangent(x)
            tp = type(p)
            if tp is Array:
                p = p._value
            elif tp is not np.ndarray:
                return None
            vals.append(p)
            if t is None or type(t) is Zero:
                nonzero.append(False)
            elif type(t) is Array:
                nonzero.append((t._value.dtype, t.weak_type))
                tans.append(t._value)
            else:
                return None
        key = ("jvp", part, tuple(nonzero))
        hit = self._batched.get(key)
        if hit is None:
            from purejax._src import jit
            from purejax._src.control_flow.common import jvp_jaxpr
            n_out = len(closed.out_avals)
            jclosed, out_nonzero = jvp_jaxpr(closed, [nz is not False for nz in nonzero],
                                             (False,) * n_out)
            hit = self._batched[key] = (
                jit.compiled_for(jclosed, f"{self.name}_{part}_jvp"), out_nonzero,
                [a.weak_type for a in jclosed.out_avals], n_out)
        fn, out_nonzero, weak, n_out = hit
        raw = fn(*vals, *tans)
        outs = [Array(o if type(o) is np.ndarray else np.asarray(o), w)
                for o, w in zip(raw, weak)]
        it = iter(outs[n_out:])
        return [_JVPTracer(trace, p, next(it)) if nz else p
                for p, nz in zip(outs[:n_out], out_nonzero)]

    def _batched_call(self, part, closed, args, trace):
        """`closed` on `args` when they are concrete values of the vmap `trace` (its
        tracers holding NumPy buffers): the part batched once per batching pattern
        (control_flow.common.batch_jaxpr, the same batch rules the equations would
        meet one by one) and compiled, instead of each equation going through the
        vmap trace on every call. None when the operands are anything else."""
        if type(trace) is not _BatchTrace:
            return None
        vals, batched = [], []
        for x in args:
            v, d = trace.to_batch_info(x)
            if type(v) is Array:
                v = v._value
            elif type(v) is not np.ndarray:
                return None  # a tracer of another transformation (a nested vmap, jvp)
            if d is not None and d != 0:
                v = np.moveaxis(v, d, 0)
            vals.append(v)
            batched.append(d is not None)
        key = (part, trace.axis_size, tuple(batched))
        hit = self._batched.get(key)
        if hit is None:
            from purejax._src import jit
            from purejax._src.control_flow.common import batch_jaxpr
            bclosed, out_batched = batch_jaxpr(closed, trace.axis_size, batched, False)
            hit = self._batched[key] = (
                jit.compiled_for(bclosed, f"{self.name}_{part}_vmap"), out_batched,
                [a.weak_type for a in bclosed.out_avals])
        fn, out_batched, weak = hit
        outs = []
        for o, b, w in zip(fn(*vals), out_batched, weak):
            o = Array(o if type(o) is np.ndarray else np.asarray(o), w)
            outs.append(_BatchTracer(trace, o, 0) if b else o)
        return outs


# ---------------------------------------------------------------------------
# Reverse pass

class TapePullback:
    """What `vjp` keeps: maps output cotangents to input cotangents by walking the
    tape backwards. Same interface as `ad.LinearFunction.transpose`."""

    def __init__(self, trace: TapeTrace, in_nodes, in_avals, outs):
        self.trace = trace
        self.in_nodes = in_nodes
        self.in_avals = in_avals
        self.outs = outs  # per output: (node, index) or None

    @property
    def consts(self) -> list:
        """The residuals the tape keeps for the backward pass (each buffer once)."""
        seen: dict = {}
        for node in self.trace.tape:
            for r in node.residuals:
                seen.setdefault(id(r), r)
        return list(seen.values())

    def transpose(self, cts_out: Sequence) -> list:
        # env: node -> its cotangents: a list (one slot per output), or for a
        # single-output node whose cotangent is a NumPy buffer, the (buffer, weak type)
        # pair itself (the hot path: no list per node)
        env: dict = {}
        for src, ct in zip(self.outs, cts_out):
            if src is not None and type(ct) is not Zero:
                _accumulate(env, src[0], src[1], ct)
        for node in reversed(self.trace.tape):
            cts = env.pop(node, None)
            if cts is None:
                continue
            tmpl = node.tmpl
            if tmpl is not None:
                c = cts if type(cts) is tuple else cts[0]
                tc = type(c)
                if tc is tuple or tc is Array:
                    # NumPy in, NumPy out: cotangents stay (buffer, weak) pairs between
                    # compiled backward parts instead of becoming Arrays at every node
                    fn = tmpl._backward_fn or tmpl.backward_fn()
                    outs = fn(*node.residuals, c[0] if tc is tuple else c._value)
                    k = 0
                    for parent, d in zip(node.parents, tmpl.diff):
                        if d:
                            if parent is not None:
                                _accumulate_raw(env, parent[0], parent[1], outs[k],
                                                tmpl.ct_weak[k])
                            k += 1
                    continue
            cts = [_from_raw(c) for c in ([cts] if type(cts) is tuple else cts)]
            pullback = node.pullback or tmpl.pullback(node.residuals, True)
            for parent, ct in zip(node.parents, pullback(cts)):
                if parent is not None and ct is not None and type(ct) is not Zero:
                    _accumulate(env, parent[0], parent[1], ct)
        result = []
        for node, aval in zip(self.in_nodes, self.in_avals):
            cts = None if node is None else env.get(node)
            if type(cts) is tuple:
                cts = [cts]
            result.append(Zero(aval) if cts is None or cts[0] is None else _from_raw(cts[0]))
        return result


def _from_raw(ct):
    if type(ct) is tuple:
        return Array(ct[0], ct[1])
    return ct


def _slots(env, node):
    """node's cotangent slots as a list (made, or unpacked from a raw single pair)."""
    slots = env.get(node)
    if slots is None:
        slots = env[node] = [None] * node.n_out
    elif type(slots) is tuple:
        slots = env[node] = [slots]
    return slots


def _accumulate_raw(env, node, index, o, weak):
    """_accumulate for a NumPy cotangent `o` with weak type `weak`. A single-output
    node's cotangent stays the (buffer, weak) pair itself (TapePullback.transpose)."""
    if type(o) is not np.ndarray:
        o = np.asarray(o)
    prev = env.get(node)
    if prev is None and node.n_out == 1:
        env[node] = (o, weak)
        return
    if type(prev) is tuple:
        total = _sum_raw(prev, o, weak)
        if total is not None:
            env[node] = total
            return
    slots = _slots(env, node)
    prev = slots[index]
    if prev is None:
        slots[index] = (o, weak)
        return
    if type(prev) is tuple:
        total = _sum_raw(prev, o, weak)
        if total is not None:
            slots[index] = total
            return
    _accumulate(env, node, index, Array(o, weak))


def _sum_raw(prev, o, weak):
    """(buffer, weak) of add_any of a raw pair and a NumPy cotangent of the same shape
    and dtype (its impl; strong unless both weak), else None."""
    a = prev[0]
    if a.shape != o.shape or a.dtype != o.dtype:
        return None
    total = np.add(a, o)
    return (total if type(total) is np.ndarray else np.asarray(total)), prev[1] and weak


def _accumulate(env, node, index, ct):
    slots = _slots(env, node)
    prev = slots[index]
    if type(prev) is tuple:
        prev = _from_raw(prev)
    if prev is None:
        slots[index] = ct
        return
    tp = type(prev)
    if tp is Array and type(ct) is Array:
        # add_any on two concrete buffers
        total = _sum_raw((prev._value, prev.weak_type), ct._value, ct.weak_type)
        if total is not None:
            slots[index] = Array(*total)
            return
    elif tp is _BatchTracer and type(ct) is _BatchTracer and prev._trace is ct._trace \
            and prev.batch_dim == ct.batch_dim and type(prev.val) is Array \
            and type(ct.val) is Array:
        # add_any under vmap on two concrete buffers batched alike: its batch rule's
        # result (the same elementwise add, the same batch dimension), without the trip
        # through the vmap trace
        pv, cv = prev.val, ct.val
        total = _sum_raw((pv._value, pv.weak_type), cv._value, cv.weak_type)
        if total is not None:
            slots[index] = _BatchTracer(prev._trace, Array(*total), prev.batch_dim)
            return
    slots[index] = ad.add_any_p.bind(prev, ct)


def vjp_flat(fun: Callable, primals: Sequence):
    """(primals_out, TapePullback) for flat `fun`, recording a tape under the current
    (eager) trace."""
    parent = core.current_trace()
    trace = TapeTrace(parent)
    in_avals, in_nodes, args = [], [], []
    for p in primals:
        aval = core.get_aval(p).to_tangent_aval()
        in_avals.append(aval)
        if dtypes.is_inexact(aval.dtype):
            node = _Node((), None, 1)
            in_nodes.append(node)
            args.append(TapeTracer(trace, p, node, 0))
        else:
            in_nodes.append(None)
            args.append(p)
    try:
        with core.set_current_trace(trace):
            outs = fun(*args)
        primals_out, srcs = [], []
        for x in outs:
            if type(x) is TapeTracer and x._trace is trace:
                primals_out.append(x.primal)
                srcs.append(x.src)
            else:
                if isinstance(x, Tracer) and not x._trace._alive:
                    core._raise_escaped(x)
                primals_out.append(x)
                srcs.append(None)
    finally:
        trace.invalidate()
        trace._memo = None  # (the recording is over: let its buffers go)
    return primals_out, TapePullback(trace, in_nodes, in_avals, srcs)


def usable() -> bool:
    """The tape serves reverse mode when no trace in the current stack stages a Jaxpr
    (jit and make_jaxpr print and compile the linearized program; custom traces are
    left to the general path): the eager trace, vmap, jvp and other tapes."""
    if not _flags["purejax_eager_tape"]:
        return False
    t = core.current_trace()
    while t is not None:
        if type(t) not in _TAPE_FRIENDLY:
            return False
        t = t.parent
    return True


_TAPE_FRIENDLY = (core.EvalTrace, _BatchTrace, ad.JVPTrace, TapeTrace)
