"""Every primitive fills the rule slots its transformations need."""
import purejax  # noqa: F401  (registers every primitive)
from purejax._src import core, lax as _lax


def all_primitives():
    import gc
    return sorted({p for p in gc.get_objects() if isinstance(p, core.Primitive)},
                  key=lambda p: p.name)


# Primitives that by design have no derivative rule of a given kind.
NO_JVP = {"custom_lin"}          # evaluating it is the jvp-of-custom_vjp error itself
NO_BATCH = {"custom_lin"}        # only ever transposed, never batched
NO_DERIVATIVE_INTENDED = {"pure_callback"}  # its jvp slot raises a helpful error


def test_every_primitive_has_impl_abstract_eval_and_rules():
    missing = []
    for p in all_primitives():
        if p.name.startswith("my_") or p.name.startswith("test_"):
            continue
        if p.impl is None:
            missing.append(f"{p.name}: impl")
        if p.abstract_eval is None:
            missing.append(f"{p.name}: abstract_eval")
        if p.jvp is None and p.name not in NO_JVP:
            missing.append(f"{p.name}: jvp")
        if p.batch is None and p.name not in NO_BATCH:
            missing.append(f"{p.name}: batch")
    assert not missing, "primitives with empty rule slots:\n" + "\n".join(missing)


def test_linear_primitives_have_transpose():
    linear = ["neg", "add", "sub", "add_any", "reduce_sum", "broadcast_in_dim", "reshape",
              "transpose", "convert_element_type", "select_n", "mul", "dot_general",
              "concatenate", "pad", "slice", "dynamic_slice", "dynamic_update_slice", "gather",
              "scatter-add", "rev", "squeeze", "real", "imag", "conj", "complex", "copy",
              "cumsum", "pjit", "custom_lin"]
    by_name = {p.name: p for p in all_primitives()}
    missing = [n for n in linear if n in by_name and by_name[n].transpose is None]
    absent = [n for n in linear if n not in by_name]
    assert not missing, f"linear primitives without transpose: {missing}"
    assert not absent, f"expected primitives not registered: {absent}"


def test_lax_exports_each_primitives_function():
    names = set(dir(_lax))
    for fn in ["sin", "cos", "exp", "log", "add", "mul", "div", "max", "min", "select_n",
               "broadcast_in_dim", "reshape", "transpose", "reduce_sum", "reduce_max",
               "dot_general", "gather", "scatter_add", "dynamic_slice", "stop_gradient",
               "convert_element_type", "iota", "concatenate", "pad", "rev", "argmax"]:
        assert fn in names, fn


def test_eager_evaluation_of_a_staged_signature_still_needs_an_impl():
    """Staging fills a primitive's signature cache without needing an impl; an eager
    call with that signature (the eager trace's unrolled path) must still raise the
    missing-impl error, and multiple-result primitives still give lists."""
    import numpy as np
    import pytest
    import purejax as jax
    import purejax.numpy as jnp
    from purejax._src.core import MissingRuleError, ShapedArray

    no_impl = core.Primitive("test_no_impl")
    no_impl.abstract_eval = lambda a, b=None: a
    x = jnp.ones(3, jnp.float32)
    for args in ((x,), (x, x)):
        jax.make_jaxpr(lambda *a: no_impl.bind(*a))(*args)
        for _ in range(2):
            with pytest.raises(MissingRuleError, match="test_no_impl"):
                no_impl.bind(*args)

    pair = core.Primitive("test_pair", multiple_results=True)
    pair.impl = lambda a: [a + 1, a * 2]
    pair.abstract_eval = lambda a: [ShapedArray(a.shape, a.dtype), ShapedArray(a.shape, a.dtype)]
    for _ in range(3):
        out = pair.bind(x)
        assert isinstance(out, list) and len(out) == 2
        np.testing.assert_array_equal(out[1], np.full(3, 2, np.float32))
