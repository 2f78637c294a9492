"""custom_jvp on the eager tape, for the commonest call: array or scalar positional
arguments, no nondiff_argnums, over the eager trace (seed 001's `log1pexp` under
`grad`).

What `TapeTrace.process_custom_jvp_call` does, without the pytree plumbing around
it: the rule runs once, on concrete primals (as in JAX, on every call: a rule may
branch on them or read state that changed), with its tangents unknowns of a
partial-evaluation trace, so that only the tangent computation is staged; the
tape's node transposes that small linear Jaxpr when the reverse pass reaches it.
Any other call takes the general path, having run nothing.
"""
from __future__ import annotations

from purejax._src import core
from purejax._src import tree_util as tu
from purejax._src.array import Array
from purejax._src.custom_derivatives import (CustomRuleError, _check_jvp_output,
                                             _materialize, _rule_name, _Store,
                                             resolve_kwargs)
from purejax._src.debug_info import func_name
from purejax._src.interpreters import ad
from purejax._src.interpreters import partial_eval as pe
from purejax._src.interpreters.ad import Zero
from purejax._src.interpreters.tape import TapeTrace, TapeTracer

_LEAVES = frozenset({Array, float, int, bool, complex})


def custom_jvp_call(trace: TapeTrace, cj, args: tuple):
    """cj(*args) recorded on `trace`, or NotImplemented when the fast path does not
    apply (nothing has run then)."""
    parent = trace.parent
    rule = cj.jvp
    if type(parent) is not core.EvalTrace or rule is None or cj.symbolic_zeros:
        return NotImplemented
    primals, parents, any_diff = [], [], False
    for x in resolve_kwargs(cj.fun, args, {}):  # (defaults filled in)
        tx = type(x)
        if tx is TapeTracer:
            if x._trace is not trace:
                return NotImplemented
            primals.append(x.primal)
            parents.append(x.src)
            any_diff = True
        elif tx in _LEAVES:
            primals.append(x)
            parents.append(None)
        else:
            return NotImplemented
    if not any_diff:
        with core.set_current_trace(parent):
            return cj.fun(*primals)

    rec = pe.JaxprTrace(parent, stage_all=False)
    tangents = []
    for i, (p, src) in enumerate(zip(primals, parents)):
        aval = core.get_aval(p).to_tangent_aval()
        if src is not None and aval.dtype.kind in "fc":
            tangents.append(rec.new_arg(aval))
        else:
            parents[i] = None
            tangents.append(_materialize(Zero(aval)))
    store = _Store()
    try:
        with core.set_current_trace(rec):
            res = rule(tuple(primals), tuple(tangents))
        p_out, t_out = _check_jvp_output(res, rule, store, func_name(cj.fun))
        for p in p_out:
            if type(p) is pe.JaxprTracer and p._trace is rec:
                raise CustomRuleError(
                    f"custom_jvp rule {_rule_name(rule)}: its primal output depends on the "
                    "input tangents; the primal output must be computed from the primals "
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

    outs = trace._record(parents, pullback, p_out, out_nonzero, consts)
    return tu.tree_unflatten(store.tree, outs)
