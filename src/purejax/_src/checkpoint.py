"""checkpoint / remat: in reverse mode, recompute a function's intermediates in the
backward pass instead of storing them.

`checkpoint(f)` stages f into a `checkpoint` equation. Its partial-evaluation rule
(used by linearize, hence grad/vjp) saves only the inputs and the intermediates the
policy allows; the staged tangent computation recomputes the rest from them. The
transpose runs as a separate call so that jit's common-subexpression elimination
cannot merge the recomputation back into the forward pass (prevent_cse).
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Callable, Sequence

from purejax._src import core
from purejax._src import tree_util as tu
from purejax._src.core import ClosedJaxpr, Jaxpr, Literal, Primitive
from purejax._src.interpreters import ad
from purejax._src.interpreters import partial_eval as pe

checkpoint_p = Primitive("checkpoint", multiple_results=True)


def _eval(closed):
    return lambda *xs: core.eval_jaxpr(closed.jaxpr, closed.consts, *xs)


checkpoint_p.impl = lambda *args, jaxpr, **_: _eval(jaxpr)(*args)
checkpoint_p.eval_with_arrays = True
checkpoint_p.abstract_eval = lambda *avals, jaxpr, **_: list(jaxpr.out_avals)


def _jvp(primals, tangents, *, jaxpr, prevent_cse, policy):
    from purejax._src.jit import _jvp_jaxpr
    nonzero = tuple(type(t) is not ad.Zero for t in tangents)
    jvp_closed, out_nonzero = _jvp_jaxpr(jaxpr, nonzero)
    outs = checkpoint_p.bind(*primals, *[t for t in tangents if type(t) is not ad.Zero],
                             jaxpr=jvp_closed, prevent_cse=prevent_cse, policy=policy)
    n = len(jaxpr.out_avals)
    it = iter(outs[n:])
    return outs[:n], [next(it) if nz else ad.Zero(a.to_tangent_aval())
                      for nz, a in zip(out_nonzero, jaxpr.out_avals)]


def _batch(args, dims, *, jaxpr, prevent_cse, policy):
    from purejax._src.jit import _batch_jaxpr
    size = next(core.get_aval(a).shape[d] for a, d in zip(args, dims) if d is not None)
    b = _batch_jaxpr(jaxpr, size, tuple(dims), tuple(core.get_aval(a) for a in args))
    outs = checkpoint_p.bind(*args, jaxpr=b, prevent_cse=prevent_cse, policy=policy)
    return outs, [0] * len(outs)


def _transpose(cts, *args, jaxpr, prevent_cse, policy):
    from purejax._src.jit import _pjit_transpose
    # a separate call: the recomputation inside stays out of reach of outer CSE
    return _pjit_transpose(cts, *args, jaxpr=jaxpr, name="checkpoint")


def _saveable(policy, eqn) -> bool:
    if policy is None:
        return False
    return bool(policy(eqn.primitive, *[v.aval for v in eqn.invars], **eqn.params))


def _partial_eval(trace: pe.JaxprTrace, args, unknown, *, jaxpr, prevent_cse, policy):
    """Known outputs now; the unknown part recomputes what the policy did not save."""
    inner = jaxpr.jaxpr
    unknown_vars = {v for v, u in zip(inner.invars, unknown) if u}
    known_eqns, unknown_eqns = [], []
    for eqn in inner.eqns:
        if any(type(v) is not Literal and v in unknown_vars for v in eqn.invars):
            unknown_vars.update(eqn.outvars)
            unknown_eqns.append(eqn)
        else:
            known_eqns.append(eqn)
    out_unknown = [type(v) is not Literal and v in unknown_vars for v in inner.outvars]
    # Residuals: known inputs, plus outputs of saveable known equations.
    saved = [v for e in known_eqns if _saveable(policy, e) for v in e.outvars]
    known_in = [v for v, u in zip(inner.invars, unknown) if not u]
    unknown_in = [v for v, u in zip(inner.invars, unknown) if u]
    saved_set = set(saved)
    # The unknown part recomputes the known equations it needs that were not saved.
    recompute = [e for e in known_eqns if not all(v in saved_set for v in e.outvars)]
    u_outs = [v for v, u in zip(inner.outvars, out_unknown) if u]
    u_jaxpr = pe.dce_jaxpr(Jaxpr(inner.constvars, known_in + saved + unknown_in, u_outs,
                                 recompute + unknown_eqns))
    used = {v for e in u_jaxpr.eqns for v in e.invars if type(v) is not Literal}
    used.update(v for v in u_outs if type(v) is not Literal)
    saved = [v for v in saved if v in used]  # save only what the backward pass reads
    u_jaxpr = Jaxpr(u_jaxpr.constvars, known_in + saved + unknown_in, u_jaxpr.outvars,
                    u_jaxpr.eqns)
    known_outs = [v for v, u in zip(inner.outvars, out_unknown) if not u]
    known_jaxpr = pe.dce_jaxpr(Jaxpr(inner.constvars, known_in, known_outs + saved, known_eqns))
    known_args = [a for a, u in zip(args, unknown) if not u]
    with core.set_current_trace(trace.parent):
        outs_k = checkpoint_p.bind(*known_args, jaxpr=ClosedJaxpr(known_jaxpr, jaxpr.consts),
                                   prevent_cse=prevent_cse, policy=policy)
    saved_vals = outs_k[len(known_outs):]
    u_closed = ClosedJaxpr(u_jaxpr, jaxpr.consts)
    res_args = known_args + list(saved_vals)
    unknown_args = [a for a, u in zip(args, unknown) if u]
    invars = [trace.to_atom(x) for x in res_args + unknown_args]
    outs_u = trace.add_eqn(checkpoint_p, invars, list(u_closed.out_avals),
                           dict(jaxpr=u_closed, prevent_cse=prevent_cse, policy=policy))
    ku, uu = iter(outs_k[:len(known_outs)]), iter(outs_u)
    return [next(uu) if u else next(ku) for u in out_unknown]


checkpoint_p.jvp = _jvp
checkpoint_p.batch = _batch
checkpoint_p.transpose = _transpose
checkpoint_p.partial_eval = _partial_eval


def _register_lowering():
    from purejax._src.backends import numpy_codegen
    numpy_codegen.register_lowering(checkpoint_p, numpy_codegen.lower_call_jaxpr("jaxpr"))


_register_lowering()


# ---------------------------------------------------------------------------
# Policies (as jax.checkpoint_policies)

def everything_saveable(prim, *avals, **params) -> bool:
    return True


def nothing_saveable(prim, *avals, **params) -> bool:
    return False


def dots_saveable(prim, *avals, **params) -> bool:
    return prim.name == "dot_general"


checkpoint_dots = dots_saveable


def dots_with_no_batch_dims_saveable(prim, *avals, **params) -> bool:
    if prim.name != "dot_general":
        return False
    (_, _), (lhs_batch, rhs_batch) = params["dimension_numbers"]
    return not lhs_batch and not rhs_batch


checkpoint_dots_with_no_batch_dims = dots_with_no_batch_dims_saveable


def save_anything_except_these_names(*names_not_to_save):
    """Save any value (named or not) except the names given. As in JAX 0.10.2, this
    policy ignores the names and saves everything."""
    return everything_saveable


@dataclasses.dataclass(frozen=True)
class SaveOnlyTheseNames:
    saveable_names: frozenset

    def __call__(self, prim, *avals, **params) -> bool:
        if prim is name_p:
            return params["name"] in self.saveable_names
        return False  # nothing unnamed is saved


@dataclasses.dataclass(frozen=True)
class SaveAnyNamesButThese:
    names: frozenset

    def __call__(self, prim, *avals, **params) -> bool:
        if prim is name_p:
            return params["name"] not in self.names
        return False  # only named values are saved


def save_only_these_names(*names_which_can_be_saved):
    """Save only named values (outputs of `checkpoint_name`), and only those names."""
    return SaveOnlyTheseNames(frozenset(names_which_can_be_saved))


def save_any_names_but_these(*names_not_to_save):
    """Save only named values, except the names given."""
    return SaveAnyNamesButThese(frozenset(names_not_to_save))


def save_from_both_policies(policy_1, policy_2):
    """Logical OR of two policies: a value is saved if either policy saves it."""
    def policy(prim, *args, **params):
        out1 = policy_1(prim, *args, **params)
        out2 = policy_2(prim, *args, **params)
        if not (isinstance(out1, bool) and isinstance(out2, bool)):
            raise ValueError(
                "The return value of the policies should be a boolean. Got:"
                f" {out1} and {out2}. Please write a custom policy function directly,"
                " rather than using this helper function.")
        return out1 or out2
    return policy


def save_and_offload_only_these_names(*, names_which_can_be_saved,
                                      names_which_can_be_offloaded, offload_src, offload_dst):
    """As save_only_these_names; offloading to host memory is saving here (NumPy
    arrays already live there), so both lists are saved."""
    saved, offloaded = set(names_which_can_be_saved), set(names_which_can_be_offloaded)
    if saved & offloaded:
        raise ValueError("The names should be exclusive and should not intersect in"
                         " `names_which_can_be_saved` and `names_which_can_be_offloaded`."
                         f" Got names_which_can_be_saved={saved},"
                         f" names_which_can_be_offloaded={offloaded}")
    return SaveOnlyTheseNames(frozenset(saved | offloaded))


def offload_dot_with_no_batch_dims(offload_src, offload_dst):
    """As dots_with_no_batch_dims_saveable (offloading is saving here)."""
    return dots_with_no_batch_dims_saveable


# ---------------------------------------------------------------------------
# checkpoint_name: an identity that names a value for the policies above

name_p = Primitive("name")
name_p.impl = lambda x, *, name: x
name_p.abstract_eval = lambda x, *, name: x


def _name_jvp(primals, tangents, *, name):
    (x,), (x_dot,) = primals, tangents
    return name_p.bind(x, name=name), x_dot  # the tangent is not named (as JAX)


def _name_batch(args, dims, *, name):
    (x,), (d,) = args, dims
    return name_p.bind(x, name=name), d


name_p.jvp = _name_jvp
name_p.batch = _name_batch


def checkpoint_name(x, name):
    """Name `x` (an array or a pytree of arrays) inside `checkpoint`, for policies such
    as save_only_these_names. An identity at run time."""
    return tu.tree_map(lambda leaf: name_p.bind(leaf, name=name), x)


def checkpoint(fun: Callable, *, prevent_cse: bool = True, policy: Callable | None = None,
               static_argnums: int | Sequence[int] = ()) -> Callable:
    """Mark `fun` for rematerialisation under reverse-mode differentiation."""
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        from purejax._src.api import _to_value
        static = {i: args[i] for i in nums}
        dyn = [a for i, a in enumerate(args) if i not in static]
        leaves, in_tree = tu.tree_flatten((dyn, kwargs))
        vals = [_to_value(x) for x in leaves]
        store = [None]

        def flat(*xs):
            d, k = tu.tree_unflatten(in_tree, list(xs))
            it = iter(d)
            full = [static[i] if i in static else next(it) for i in range(len(args))]
            out_leaves, store[0] = tu.tree_flatten(fun(*full, **k))
            return out_leaves

        jaxpr, consts, _ = pe.trace_to_jaxpr(flat, [core.get_aval(v) for v in vals])
        from purejax._src.jit import _hoist_tracer_consts
        closed, hoisted = _hoist_tracer_consts(ClosedJaxpr(jaxpr, consts))
        outs = checkpoint_p.bind(*hoisted, *vals, jaxpr=closed, prevent_cse=prevent_cse,
                                 policy=policy)
        return tu.tree_unflatten(store[0], outs)

    return wrapped


remat = checkpoint
