"""custom_jvp on the eager tape, for the commonest call: array or scalar positional
arguments, no nondiff_argnums, over the eager trace (seed 001's `log1pexp` under
`grad`).

What custom_jvp.__call__ and `TapeTrace.process_custom_jvp_call` do, without the
pytree plumbing and flat wrappers between them: `TapeTrace.record_rule` runs the rule
once, on concrete primals (as in JAX, on every call: a rule may branch on them or
read state that changed), and records its linear tangent Jaxpr. Any other call takes
the general path, having run nothing.
"""
from __future__ import annotations

from purejax._src import core
from purejax._src import tree_util as tu
from purejax._src.custom_derivatives import (_CONCRETE, _check_jvp_output, _materialize,
                                             _rule_name, _Store, resolve_kwargs)
from purejax._src.debug_info import func_name
from purejax._src.interpreters.tape import TapeTrace, TapeTracer


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
        elif tx in _CONCRETE:
            primals.append(x)
            parents.append(None)
        else:
            return NotImplemented
    if not any_diff:
        with core.set_current_trace(parent):
            return cj.fun(*primals)

    store = _Store()

    def run(tangents):
        res = rule(tuple(primals), tuple([_materialize(t) for t in tangents]))
        return _check_jvp_output(res, rule, store, func_name(cj.fun))

    outs = trace.record_rule(run, primals, parents, lambda: _rule_name(rule))
    return tu.tree_unflatten(store.tree, outs)
