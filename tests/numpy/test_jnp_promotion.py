"""JAX's type promotion and weak types through jnp functions, and the staged
Jaxprs they produce (no needless conversions)."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax._src import config as config_mod



def _dw(x):
    return (x.dtype, x.weak_type)


@pytest.mark.parametrize("a, b, dtype, weak", [
    (lambda: jnp.array([1, 2], jnp.int32), lambda: 1.0, np.float32, True),
    (lambda: jnp.array([1, 2], jnp.int32), lambda: 1, np.int32, False),
    (lambda: jnp.array([1., 2.], jnp.float32), lambda: np.ones(2, np.float64), np.float32,
     False),
    (lambda: jnp.array([True, False]), lambda: jnp.array([1, 2], jnp.int32), np.int32, False),
    (lambda: jnp.array([True, False]), lambda: 1, np.int32, True),
    (lambda: jnp.array([1], jnp.uint8), lambda: jnp.array([1], jnp.int8), np.int16, False),
    (lambda: jnp.array([1], jnp.uint8), lambda: 3, np.uint8, False),
    (lambda: jnp.array([1], jnp.int8), lambda: 2.5, np.float32, True),
    (lambda: jnp.array([1], jnp.float16), lambda: 2.5, np.float16, False),
    (lambda: jnp.array([1], jnp.float16), lambda: jnp.array([1], jnp.int32), np.float16,
     False),
    (lambda: jnp.array([1.], jnp.float32), lambda: 1j, np.complex64, False),
    (lambda: 1.0, lambda: 2, np.float32, True),
    (lambda: jnp.array(1.0), lambda: np.float32(2), np.float32, False),
    (lambda: jnp.array([1], jnp.uint32), lambda: jnp.array([1], jnp.int32), np.int32, False),
])
def test_add_promotion(a, b, dtype, weak):
    out = jnp.add(a(), b())
    assert _dw(out) == (np.dtype(dtype), weak)
    out = jnp.add(b(), a())
    assert _dw(out) == (np.dtype(dtype), weak)


def test_promotion_with_x64(x64):
    assert _dw(jnp.array([1., 2.], jnp.float32) + np.ones(2)) == (np.dtype(np.float64), False)
    assert _dw(jnp.array([1, 2]) + 1.0) == (np.dtype(np.float64), True)
    assert jnp.array([1, 2]).dtype == np.int64
    assert jnp.asarray(np.ones(2)).dtype == np.float64
    # JAX 0.10: integers up to 32 bits become float32 even under x64; int64 becomes float64
    assert jnp.sin(jnp.array([1, 2], jnp.int32)).dtype == np.float32
    assert jnp.sin(jnp.array([1, 2], jnp.int64)).dtype == np.float64


def test_strict_promotion_mode():
    with config_mod.numpy_dtype_promotion("strict"):
        with pytest.raises(Exception, match="promotion"):
            jnp.add(jnp.array([1], jnp.int32), jnp.array([1.], jnp.float32))
        assert jnp.add(jnp.array([1.], jnp.float32), 2.0).dtype == np.float32


def test_weak_types_of_results():
    assert jnp.sin(1.0).weak_type
    assert jnp.sin(1).weak_type and jnp.sin(1).dtype == np.float32
    assert not jnp.sin(jnp.array([1.])).weak_type
    assert (jnp.array(2.0) * 3).weak_type
    assert (jnp.array(2) < 3).weak_type  # JAX 0.10.2: a weak bool (all operands weak)
    assert not (jnp.array([2]) < 3).weak_type
    assert not jnp.sum(jnp.array(2.0)).weak_type       # reductions are strong, as JAX
    assert jnp.where(True, 1.0, 2.0).weak_type
    assert not jnp.where(True, jnp.float32(1.0), 2.0).weak_type
    assert jnp.full((2,), 1.0).weak_type
    assert not jnp.zeros(2).weak_type
    assert jnp.zeros_like(jnp.array(1.0)).weak_type
    assert not jnp.array([1., 2.]).weak_type
    assert jnp.asarray(1.0).weak_type
    assert not jnp.asarray(1.0, dtype=jnp.float32).weak_type
    assert not jnp.array(np.float32(1)).weak_type


def test_python_scalar_does_not_upcast_small_types():
    x = jnp.array([1, 2], jnp.int8)
    assert (x + 1).dtype == np.int8
    assert (x * 300).dtype == np.int8  # the Python int wraps to int8, as in JAX
    h = jnp.array([1.], jnp.float16)
    assert (h * 2.5).dtype == np.float16
    assert jnp.maximum(h, 0).dtype == np.float16


def test_non_array_arguments_raise_type_error_naming_function():
    with pytest.raises(TypeError, match=r"sin requires ndarray or scalar arguments.*str"):
        jnp.sin("a")
    with pytest.raises(TypeError, match=r"add requires ndarray or scalar.*position 1"):
        jnp.add(1.0, {"a": 1})
    with pytest.raises(TypeError, match="sum requires ndarray or scalar.*NoneType"):
        jnp.sum(None)
    with pytest.raises(TypeError, match=r"list.*jnp.asarray"):
        jnp.sum([1, 2])
    with pytest.raises(TypeError):
        jnp.array("abc")
    with pytest.raises(TypeError):
        jnp.array({"a": 1})


def test_jaxpr_of_log1p_exp_has_no_converts():
    jaxpr = jax.make_jaxpr(lambda x: jnp.log(1. + jnp.exp(x)))(np.float32(0.5))
    eqns = jaxpr.eqns
    assert [e.primitive.name for e in eqns] == ["exp", "add", "log"]
    assert "add 1.0 b" in str(jaxpr)


def test_jaxpr_scalar_broadcast_and_promotion():
    jaxpr = jax.make_jaxpr(lambda x, y: x * y + 2)(np.ones((3, 1), np.float32),
                                                   np.ones(4, np.float32))
    names = [e.primitive.name for e in jaxpr.eqns]
    assert names == ["broadcast_in_dim", "broadcast_in_dim", "mul", "add"]
    # an int32 operand with a float32 one: exactly one conversion
    jaxpr = jax.make_jaxpr(lambda i, x: i + x)(np.ones(3, np.int32), np.ones(3, np.float32))
    assert [e.primitive.name for e in jaxpr.eqns] == ["convert_element_type", "add"]
    # a float64 NumPy constant is canonicalized (folded), not converted in the Jaxpr
    jaxpr = jax.make_jaxpr(lambda x: x + np.float64(2))(np.ones(3, np.float32))
    assert [e.primitive.name for e in jaxpr.eqns] == ["add"]


def test_rank_promotion_config():
    with config_mod.numpy_rank_promotion("raise"):
        with pytest.raises(ValueError, match="rank_promotion"):
            jnp.add(jnp.ones((2, 3)), jnp.ones(3))
        assert jnp.add(jnp.ones((2, 3)), 1.0).shape == (2, 3)
    with config_mod.numpy_rank_promotion("warn"):
        with pytest.warns(UserWarning):
            jnp.add(jnp.ones((2, 3)), jnp.ones(3))


def test_incompatible_shapes():
    with pytest.raises(TypeError, match="incompatible shapes"):  # JAX raises TypeError here
        jnp.add(jnp.ones(3), jnp.ones(4))
    with pytest.raises(ValueError):  # ...and ValueError for broadcast_to
        jnp.broadcast_to(jnp.ones(3), (4,))


def test_dtype_queries():
    assert jnp.result_type(jnp.int8, 1.0) == np.float32
    assert jnp.result_type(jnp.array([1], jnp.uint8), jnp.int8) == np.int16
    assert jnp.promote_types(jnp.uint8, jnp.int8) == np.int16
    assert jnp.promote_types("float32", "int64") == np.float32  # JAX's lattice: i8 < f*
    assert jnp.issubdtype(jnp.float32, jnp.floating)
    assert not jnp.issubdtype(jnp.int32, jnp.floating)
    assert jnp.dtype("float32") == np.float32 and jnp.dtype is np.dtype
    assert jnp.finfo(jnp.float32).eps == np.finfo(np.float32).eps
    assert jnp.iinfo(jnp.int8).max == 127
    assert jnp.iscomplexobj(jnp.array(1j)) and not jnp.iscomplexobj(jnp.ones(2))
    assert not jnp.iscomplexobj(None)
    assert jnp.isscalar(1.0) and jnp.isscalar(np.float32(1)) and jnp.isscalar(jnp.array(1.))
    assert not jnp.isscalar(jnp.ones(2)) and not jnp.isscalar([1])
    assert jnp.shape(jnp.ones((2, 3))) == (2, 3) and jnp.ndim(1.0) == 0
    assert jnp.size(jnp.ones((2, 3))) == 6 and jnp.size(jnp.ones((2, 3)), 1) == 3
    assert jnp.ndarray is jax.Array
    assert jnp.newaxis is None
    assert jnp.pi == np.pi and jnp.e == np.e and jnp.inf == np.inf and np.isnan(jnp.nan)
    assert jnp.euler_gamma == np.euler_gamma
    # JAX-style scalar types: usable as dtypes, and calling one builds an Array
    assert jnp.float32 == np.float32 and np.dtype(jnp.bool_) == np.bool_
    assert repr(jnp.float32(0.5) + 1.0) == "Array(1.5, dtype=float32)"
    assert isinstance(np.float32(1), jnp.float32) and not isinstance(np.float64(1), jnp.float32)
