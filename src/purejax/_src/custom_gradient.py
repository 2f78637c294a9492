"""custom_gradient: TensorFlow-style custom gradients, built on custom_vjp as in JAX.

The user's function returns `(value, vjp_fn)`. The forward rule runs it and stages
`vjp_fn` into a Jaxpr against the output cotangent types; the values `vjp_fn` closes
over become the Jaxpr's constants and travel to the backward rule as custom_vjp
residuals. So the backward pass is an ordinary computation on those residuals:
differentiating it again (grad of grad) differentiates `vjp_fn` with respect to
what it closed over, exactly as JAX does.
"""
from __future__ import annotations

from typing import Callable

from purejax._src import core
from purejax._src import tree_util as tu
from purejax._src.custom_derivatives import CustomRuleError, custom_vjp
from purejax._src.debug_info import func_name
from purejax._src.interpreters import partial_eval as pe


class _Residuals:
    """The staged vjp_fn and the values it closed over; only the values are leaves (so
    custom_vjp carries them as residuals), the Jaxpr and trees ride in the treedef."""

    def __init__(self, jaxpr: core.Jaxpr, in_tree, out_tree, consts: list):
        self.jaxpr = jaxpr
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.consts = consts

    def tree_flatten(self):
        return list(self.consts), (self.jaxpr, self.in_tree, self.out_tree)

    @classmethod
    def tree_unflatten(cls, aux, consts):
        jaxpr, in_tree, out_tree = aux
        return cls(jaxpr, in_tree, out_tree, list(consts))


tu.register_pytree_node_class(_Residuals)


def _value_and_rule(fun: Callable, name: str, args: tuple):
    res = fun(*args)
    if not (isinstance(res, (tuple, list)) and len(res) == 2 and callable(res[1])):
        raise CustomRuleError(
            f"custom_gradient function {name} must return a pair (value, vjp_fn) with "
            f"vjp_fn a function of the output cotangent, got {type(res).__name__}"
            + (f" of length {len(res)}" if isinstance(res, (tuple, list)) else "") + ".")
    return res


def custom_gradient(fun: Callable) -> custom_vjp:
    """Define a function and its reverse-mode rule together, TensorFlow style.

    `fun(*args)` returns `(value, vjp_fn)`, where `vjp_fn(ct)` maps a cotangent of
    `value` to a tuple with one cotangent per argument (a bare cotangent is accepted
    when the function has a single argument). `vjp_fn` may close over intermediate
    values of the forward computation, but it is traced abstractly, so Python control
    flow on its cotangent or on those values raises. The result is a `custom_vjp`
    function: forward-mode differentiation of it raises, as in JAX.

        @jax.custom_gradient
        def f(x):
            return x ** 2, lambda g: (g * x,)
        jax.grad(f)(3.)   # 3.0
    """
    name = func_name(fun)

    def primal(*args):
        return _value_and_rule(fun, name, args)[0]

    def fwd(*args):
        ans, rule = _value_and_rule(fun, name, args)
        ans_leaves, out_tree = tu.tree_flatten(ans)
        ct_avals = [core.get_aval(x).to_tangent_aval() for x in ans_leaves]
        rule_store: dict = {}

        def flat_rule(*cts):
            cts_in = rule(tu.tree_unflatten(out_tree, list(cts)))
            leaves, rule_store["in_tree"] = tu.tree_flatten(cts_in)
            return leaves

        jaxpr, consts, _ = pe.trace_to_jaxpr(flat_rule, ct_avals)
        return ans, _Residuals(jaxpr, rule_store["in_tree"], out_tree, consts)

    def bwd(res: _Residuals, ct):
        ct_leaves, ct_tree = tu.tree_flatten(ct)
        if ct_tree != res.out_tree:
            raise CustomRuleError(f"custom_gradient function {name}: the output cotangent has "
                                  f"structure {ct_tree} but the output has {res.out_tree}.")
        cts_in = tu.tree_unflatten(res.in_tree, core.eval_jaxpr(res.jaxpr, res.consts,
                                                                 *ct_leaves))
        # as in JAX, a vjp_fn of a one-argument function may return the bare cotangent
        return (cts_in,) if tu.treedef_is_leaf(res.in_tree) else cts_in

    # the custom_vjp reports errors under the user's function's name
    primal.__name__ = getattr(fun, "__name__", name)
    primal.__qualname__ = name
    primal.__doc__ = getattr(fun, "__doc__", None)
    wrapped = custom_vjp(primal)
    wrapped.defvjp(fwd, bwd)
    return wrapped


__all__ = ["custom_gradient"]
