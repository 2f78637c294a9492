"""Behaviour a differential survey against JAX 0.10.2 found different, now as JAX's:
linear_transpose, linearize's tangent checks, jit's constant outputs, Array repr
layout, vmap's out_axes bounds, jnp.power's derivatives and edges, and the weak
types and argnums errors of jacfwd/jacrev. Expected values are JAX 0.10.2's."""
import math

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax


def _same(x, expected, dtype, weak):
    assert x.dtype == np.dtype(dtype)
    assert x.weak_type is weak
    np.testing.assert_array_equal(np.asarray(x), np.asarray(expected, dtype))


# --- linear_transpose --------------------------------------------------------

def test_linear_transpose_integer_to_integer():
    (ct,) = jax.linear_transpose(lambda a: a * 3, jnp.ones(2, jnp.int32))(jnp.ones(2, jnp.int32))
    _same(ct, [3, 3], np.int32, False)
    (ct,) = jax.linear_transpose(lambda a: a.sum(), jnp.ones(3, jnp.int32))(jnp.int32(2))
    _same(ct, [2, 2, 2], np.int32, False)


def test_linear_transpose_keeps_weak_types():
    a, b = jax.linear_transpose(lambda a, b: a * 3. + b, 1., 2.)(1.)
    _same(a, 3., np.float32, True)
    _same(b, 1., np.float32, True)
    (z,) = jax.linear_transpose(lambda a: jnp.zeros(2), 1.)(jnp.ones(2))
    _same(z, 0., np.float32, True)


@pytest.mark.parametrize("ct", [jnp.ones(2), jnp.ones(3, jnp.int32), jnp.ones(3, jnp.float16)])
def test_linear_transpose_cotangent_type_mismatch_is_type_error(ct):
    f_t = jax.linear_transpose(lambda a: a * 3., jnp.ones(3))
    with pytest.raises(TypeError, match="cotangent type does not match.*expected f32\\[3\\]"):
        f_t(ct)


def test_linear_transpose_python_int_cotangent_for_float_output():
    with pytest.raises(TypeError, match="expected f32\\[\\], got i32\\[\\]"):
        jax.linear_transpose(lambda a: a * 3., jnp.ones(()))(2)
    (ct,) = jax.linear_transpose(lambda a: a * 3., jnp.ones(()))(2.)  # weak float: accepted
    _same(ct, 6., np.float32, False)


@pytest.mark.parametrize("fun,args", [
    (lambda a, b: a * 3. + b, (1., jnp.int32(2))),          # float and int inputs
    (lambda a: a.astype(jnp.float32), (jnp.int32(2),)),     # int -> float
    (lambda a: a, (jnp.ones(2, bool),)),                    # bool is neither
])
def test_linear_transpose_rejects_mixed_kinds(fun, args):
    with pytest.raises(TypeError, match="only \\[float or complex\\] -> \\[float or complex\\] "
                                        "and integer -> integer"):
        jax.linear_transpose(fun, *args)


def test_linear_transpose_is_a_pytree_and_takes_one_cotangent():
    f_t = jax.linear_transpose(lambda a: a * 2., 1.)
    assert type(f_t) is jax.tree_util.Partial
    (r,) = jax.jit(lambda ft, c: ft(c))(f_t, 3.)
    _same(r, 6., np.float32, True)
    with pytest.raises(TypeError, match="takes one argument"):
        jax.linear_transpose(lambda a: (a, a), 1.)(1., 2.)
    with pytest.raises(TypeError, match="cotangent tree structure"):
        jax.linear_transpose(lambda a: (a, a), 1.)([1., 2.])


def test_linear_transpose_of_nonlinear_function_says_so():
    with pytest.raises(TypeError, match="cannot transpose mul.*not linear in its inputs"):
        jax.linear_transpose(lambda a: a * a, 1.)(1.)


# --- linearize ---------------------------------------------------------------

@pytest.mark.parametrize("t,got", [
    (jnp.ones(3, jnp.int32), "i32\\[3\\]"), (jnp.ones(2), "f32\\[2\\]"),
    (jnp.ones(3, jnp.float16), "f16\\[3\\]"), (1., "f32\\[\\]")])
def test_linearized_function_rejects_inconsistent_tangents(t, got):
    _, f_jvp = jax.linearize(jnp.sin, jnp.ones(3))
    with pytest.raises(ValueError, match=f"inconsistent with the original primal values: got "
                                         f"tangent aval {got} for primal aval f32\\[3\\]"):
        f_jvp(t)


def test_linearize_integer_input_takes_float0_tangent():
    y, f_jvp = jax.linearize(lambda a: a * 2, jnp.int32(1))
    assert int(y) == 2
    t = f_jvp(np.zeros((), jax.dtypes.float0))
    assert t.dtype == jax.dtypes.float0
    with pytest.raises(ValueError, match="expected float0\\[\\]"):
        f_jvp(jnp.int32(1))
    _, f_jvp = jax.linearize(jnp.sin, jnp.float32(1.))
    with pytest.raises(ValueError):
        f_jvp(1)  # a Python int is int32, not float32
    np.testing.assert_allclose(f_jvp(1.), math.cos(1.), rtol=1e-6)


# --- jit's constants take JAX's canonical dtypes ------------------------------

@pytest.mark.parametrize("const,dtype", [
    (np.ones(2), np.float32), (np.arange(2), np.int32), (np.ones((), np.complex128), np.complex64),
    (np.float64(2), np.float32), (np.uint64(3), np.uint32)])
def test_jit_returns_numpy_constants_canonicalized(const, dtype):
    r = jax.jit(lambda: const)()
    assert r.dtype == dtype and np.asarray(r).dtype == dtype and r.weak_type is False
    r = jax.jit(lambda x: (x, const))(1.)[1]
    assert np.asarray(r).dtype == dtype


# --- Array repr: JAX's layout -------------------------------------------------

def test_repr_pads_dtype_that_does_not_fit_the_last_line():
    assert repr(jnp.arange(21) * 100) == (
        "Array([   0,  100,  200,  300,  400,  500,  600,  700,  800,  900, 1000,\n"
        "       1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000],      dtype=int32)")
    assert repr(jnp.arange(12.) * 1) == (
        "Array([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11.],      dtype=float32)")


def test_repr_wraps_as_if_followed_by_a_comma():
    with np.printoptions(linewidth=60):
        assert repr(jnp.arange(9, dtype=jnp.float32) * 3.3) == (
            "Array([ 0. ,  3.3,  6.6,  9.9, 13.2, 16.5, 19.8, 23.1,\n"
            "       26.4], dtype=float32)")


# --- vmap out_axes --------------------------------------------------------------

@pytest.mark.parametrize("out_axes", [1, -2, 2])
def test_vmap_out_axes_out_of_bounds(out_axes):
    with pytest.raises(ValueError, match="out of bounds"):
        jax.vmap(lambda v: v.sum(), out_axes=out_axes)(jnp.ones((2, 3)))


def test_vmap_out_axes_in_bounds():
    assert jax.vmap(lambda v: v * 2, out_axes=-1)(jnp.ones((2, 3))).shape == (3, 2)
    assert jax.vmap(lambda v: v * 2, out_axes=1)(jnp.ones((2, 3))).shape == (3, 2)


# --- power ----------------------------------------------------------------------

def test_power_derivative_in_the_exponent():
    v, g = jax.value_and_grad(lambda x: 3. ** x)(1.5)
    np.testing.assert_allclose([v, g], [3 ** 1.5, math.log(3) * 3 ** 1.5], rtol=1e-6)
    np.testing.assert_allclose(jax.grad(lambda x: 2. ** x)(1.), 2 * math.log(2), rtol=1e-6)
    # d/dx x^x = x^x (log x + 1)
    g = jax.grad(lambda x: x ** x)(2.)
    np.testing.assert_allclose(g, 4 * (math.log(2) + 1), rtol=1e-6)
    assert g.weak_type is False
    np.testing.assert_allclose(jax.grad(lambda x, y: x ** y, 1)(3., 2.), 9 * math.log(3),
                               rtol=1e-6)
    assert float(jax.grad(lambda x: 2. ** x)(jnp.inf)) == math.inf
    assert math.isnan(jax.grad(lambda x: 2. ** x)(jnp.nan))
    h = jax.hessian(lambda x, y: x ** y, argnums=(0, 1))(2., 3.)
    np.testing.assert_allclose(np.array(h, np.float64).ravel(),
                               [6 * 2, 4 * (3 * math.log(2) + 1), 4 * (3 * math.log(2) + 1),
                                8 * math.log(2) ** 2], rtol=1e-6)
    assert all(e.weak_type for row in h for e in row)  # Jacobians take the inputs' weak type


def test_power_checks_finite_difference_in_both_operands():
    from purejax.test_util import check_grads
    check_grads(lambda x, y: x ** y, (jnp.float32(1.7), jnp.float32(0.8)), order=2,
                modes=("fwd", "rev"), rtol=2e-2)


def test_float_tracer_is_not_an_index():
    with pytest.raises(TypeError, match="Only integer scalar arrays"):
        jax.grad(lambda x: sum(x for _ in range(x)))(2.)
    with pytest.raises(TypeError, match="Only integer scalar arrays"):
        jax.jit(lambda b: range(b))(True)


def test_bool_and_nonscalar_arrays_are_not_indices():
    import operator
    with pytest.raises(TypeError, match="Only integer scalar arrays"):
        operator.index(jnp.array(True))
    with pytest.raises(TypeError, match="Only integer scalar arrays"):
        [1, 2, 3][jnp.array(True)]
    with pytest.raises(TypeError, match="Only integer scalar arrays"):
        operator.index(jnp.array([1]))
    assert [1, 2, 3][jnp.array(1)] == 2


def test_power_float_base_integer_exponent_array():
    # the exponent stays an integer: its derivative in the base is 0 where y == 0
    g = jax.grad(lambda x: jnp.sum(jnp.power(x, jnp.array([0, 1, 2]))))(jnp.zeros(3))
    _same(g, [0., 1., 0.], np.float32, False)
    _same(jnp.power(2., jnp.array([0, 1, 2])), [1., 2., 4.], np.float32, False)
    _same(jnp.power(jnp.float16(2.), jnp.array([0, 1, 2])), [1., 2., 4.], np.float16, False)
    _same(jnp.power(jnp.arange(3), jnp.array([0, 1, 2])), [1, 1, 4], np.int32, False)


@pytest.mark.parametrize("y", [0.5, "broadcast"])
def test_pow_one_half_at_negative_zero_and_minus_inf(y):
    x = jnp.array([-0., -jnp.inf, 4., -2., 0.])
    y = jnp.full(5, .5) if y == "broadcast" else y
    for r in (lax.pow(x, y), x ** y, jax.jit(lambda x: x ** y)(x)):
        r = np.asarray(r)
        np.testing.assert_array_equal(r, [0., np.inf, 2., np.nan, 0.])
        assert not np.signbit(r[0])
    assert float(jax.grad(lambda x: x ** 1.5)(-jnp.inf)) == math.inf
    g = jax.grad(lambda x: x ** 1.5)(-0.)
    assert float(g) == 0 and not np.signbit(g)


def test_pow_tangent_is_strongly_typed():
    y, t = jax.jvp(lambda x: x ** 2.5, (2.,), (1.,))
    assert y.weak_type is True and t.weak_type is False
    np.testing.assert_allclose(t, 2.5 * 2 ** 1.5, rtol=1e-6)


# --- Jacobians --------------------------------------------------------------------

def test_jacobians_take_the_example_dtype_and_weak_type():
    # jacrev: the input's; jacfwd: the output's
    assert jax.jacrev(lambda x: (x * 2).astype(jnp.float16))(1.).dtype == np.float32
    assert jax.jacfwd(lambda x: (x * 2).astype(jnp.float16))(1.).dtype == np.float16
    assert jax.jacfwd(jnp.nan_to_num)(0.5).weak_type is False
    assert jax.jacrev(lambda x: x * 2)(jnp.float32(1.)).weak_type is False
    assert jax.jacfwd(lambda x: 2. * x)(1.).weak_type is True


@pytest.mark.parametrize("jac", [jax.jacrev, jax.jacfwd, jax.hessian])
def test_jacobian_argnums_out_of_range_is_value_error(jac):
    with pytest.raises(ValueError, match="argnums=2"):
        jac(lambda x: x, argnums=2)(1.)
    with pytest.raises(ValueError, match="argnums=-2"):
        jac(lambda x: x, argnums=-2)(1.)


def test_grad_argnums_out_of_range():
    with pytest.raises(TypeError, match="argnums=2"):
        jax.grad(lambda x: x, argnums=2)(1.)
    with pytest.raises(ValueError, match="argnums=-2"):
        jax.grad(lambda x: x, argnums=-2)(1.)


def test_unknown_gather_mode_is_an_error_even_for_basic_indexing():
    x = jnp.arange(6.)
    for mode in ("foo", "wrap"):
        with pytest.raises(ValueError, match=f'Unknown gather/scatter mode "{mode}"'):
            x.at[1].get(mode=mode)
    assert float(x.at[7].get(mode="clip")) == 5.
    assert math.isnan(x.at[7].get(mode="fill"))


def test_linear_transpose_of_a_custom_jvp_function_transposes_the_function():
    @jax.custom_jvp
    def lin(a):
        return a * 2.
    lin.defjvp(lambda p, t: (lin(p[0]), t[0] * 2.))
    w = jnp.arange(2.)

    @jax.custom_jvp
    def scale(a):  # closes over an array: it becomes a constant of the call
        return a * w
    scale.defjvp(lambda p, t: (scale(p[0]), t[0] * w))
    (ct,) = jax.linear_transpose(lin, jnp.ones(2))(jnp.ones(2))
    _same(ct, [2., 2.], np.float32, False)
    (ct,) = jax.linear_transpose(lambda a: lin(a) + 3 * a, jnp.ones(2))(jnp.ones(2))
    _same(ct, [5., 5.], np.float32, False)
    (ct,) = jax.linear_transpose(jax.jit(scale), jnp.ones(2))(jnp.ones(2))
    _same(ct, [0., 1.], np.float32, False)


@pytest.mark.parametrize("fn,x,expected", [
    (jnp.log10, 6.369616985321045, 0.8041133284568787),
    (jnp.log10, 2.6978671550750732, 0.4310205578804016),
    (jnp.log10, 0.40973523259162903, -0.3874967098236084),
    (jnp.log10, 256., 2.4082400798797607),
    (jnp.log2, 3., 1.5849624872207642),
])
def test_log10_log2_bits(fn, x, expected):
    # JAX: log10 is log(x) * f32(1/log(10)); log2 is log(x) / log(2), which XLA turns
    # into log(x) * (1/log(2)); both strongly typed
    for arg in (x, jnp.float32(x), jnp.full(3, x, jnp.float32)):
        r = fn(arg)
        assert r.weak_type is False
        np.testing.assert_array_equal(np.asarray(r), np.float32(expected))


def test_log_base_under_jit_and_grad():
    np.testing.assert_array_equal(jax.jit(jnp.log2)(3.), np.float32(1.5849624872207642))
    np.testing.assert_allclose(jax.grad(jnp.log10)(2.), 1 / (2 * math.log(10)), rtol=1e-6)
    np.testing.assert_allclose(jax.vmap(jnp.log2)(jnp.array([2., 8.])), [1., 3.])


def test_complex_comparisons_are_lexicographic():
    a = jnp.array([1 + 2j, 1 + 1j, 2 + 0j, jnp.nan + 0j, 1 + jnp.nan * 1j])
    b = jnp.array([1 + 1j, 1 + 2j, 1 + 5j, 1 + 0j, 1 + 0j])
    np.testing.assert_array_equal(jnp.less(a, b), [False, True, False, False, False])
    np.testing.assert_array_equal(a <= b, [False, True, False, False, False])
    np.testing.assert_array_equal(jnp.greater(a, b), [True, False, True, False, False])
    np.testing.assert_array_equal(a >= b, [True, False, True, False, False])
    np.testing.assert_array_equal(jnp.fmax(a, b), [1 + 2j, 1 + 2j, 2, 1, 1])
    np.testing.assert_array_equal(jnp.fmin(a, b), [1 + 1j, 1 + 1j, 1 + 5j, 1, 1])
    assert jnp.less(a, 1.5).weak_type is False
