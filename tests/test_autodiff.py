"""The autodiff API: jvp, linearize, vjp, grad, value_and_grad, jacobians, hessian,
linear_transpose; pytrees, higher order, perturbation confusion, non-float types and
the errors JAX raises."""
from collections import namedtuple

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax
from purejax.test_util import check_grads



def f_scalar(x):
    return jnp.sin(x) * jnp.exp(x) + x ** 3


def df_scalar(x):
    return np.cos(x) * np.exp(x) + np.sin(x) * np.exp(x) + 3 * x ** 2


def test_jvp_closed_form(x64):
    y, y_dot = jax.jvp(f_scalar, (0.7,), (2.0,))
    np.testing.assert_allclose(y, np.sin(0.7) * np.exp(0.7) + 0.7 ** 3)
    np.testing.assert_allclose(y_dot, 2.0 * df_scalar(0.7))


def test_grad_matches_closed_form_and_finite_differences(x64):
    for x in [-1.3, 0.0, 0.5, 2.0]:
        np.testing.assert_allclose(jax.grad(f_scalar)(x), df_scalar(x), rtol=1e-12)
    check_grads(f_scalar, (0.3,), order=3)


def test_grad_of_grad_and_third_order(x64):
    f = lambda x: x ** 4
    assert float(jax.grad(jax.grad(f))(2.0)) == pytest.approx(48.0)
    assert float(jax.grad(jax.grad(jax.grad(f)))(2.0)) == pytest.approx(48.0)
    assert float(jax.jvp(jax.grad(f), (2.0,), (1.0,))[1]) == pytest.approx(48.0)


def test_value_and_grad_argnums_and_aux(x64):
    def loss(w, b, x):
        pred = jnp.dot(x, w) + b
        return jnp.sum(pred ** 2), pred

    w, b, x = np.array([1., -2.]), 0.5, np.array([[1., 2.], [3., 4.]])
    (val, pred), (gw, gb) = jax.value_and_grad(loss, argnums=(0, 1), has_aux=True)(w, b, x)
    p = x @ w + b
    np.testing.assert_allclose(val, np.sum(p ** 2))
    np.testing.assert_allclose(pred, p)
    np.testing.assert_allclose(gw, 2 * x.T @ p)
    np.testing.assert_allclose(gb, 2 * np.sum(p))
    g, aux = jax.grad(loss, has_aux=True)(w, b, x)
    np.testing.assert_allclose(g, 2 * x.T @ p)
    assert jax.grad(loss, argnums=-1, has_aux=True)(w, b, x)[0].shape == (2, 2)


def test_pytree_inputs_and_outputs(x64):
    Params = namedtuple("Params", ["w", "b"])

    def f(p, data):
        return jnp.sum(jnp.tanh(data["x"] * p.w + p.b))

    p = Params(np.array([0.1, 0.2]), np.array(0.3))
    data = {"x": np.array([1.0, -1.0])}
    g = jax.grad(f)(p, data)
    assert isinstance(g, Params)
    t = np.tanh(data["x"] * p.w + p.b)
    np.testing.assert_allclose(g.w, (1 - t ** 2) * data["x"])
    np.testing.assert_allclose(g.b, np.sum(1 - t ** 2))
    out, f_vjp = jax.vjp(lambda p: {"s": f(p, data), "t": p.w * 2}, p)
    (ct,) = f_vjp({"s": 1.0, "t": np.ones(2)})
    np.testing.assert_allclose(ct.w, (1 - t ** 2) * data["x"] + 2)


def test_perturbation_confusion():
    assert float(jax.grad(lambda x: jax.grad(lambda y: x * y)(1.))(1.)) == 1.0
    # d/dx [x * d/dy (x + y)] = 1
    assert float(jax.grad(lambda x: x * jax.grad(lambda y: x + y)(1.))(2.)) == 1.0
    # jvp nested inside jvp
    f = lambda x: jax.jvp(lambda y: x * y, (1.,), (1.,))[1]
    assert float(jax.jvp(f, (3.,), (1.,))[1]) == 1.0


def test_python_control_flow_on_concrete_values():
    def f(x):
        if x > 0:
            return x ** 2
        return -x
    assert float(jax.grad(f)(3.)) == 6.0
    assert float(jax.grad(f)(-3.)) == -1.0
    assert float(jax.grad(jax.grad(f))(3.)) == 2.0

    def g(x, n):
        for _ in range(int(n)):
            x = jnp.sin(x)
        return x
    assert float(jax.grad(g)(0.5, 2)) == pytest.approx(np.cos(np.sin(0.5)) * np.cos(0.5), rel=1e-6)


def test_linearize(x64):
    y, f_jvp = jax.linearize(f_scalar, 0.4)
    np.testing.assert_allclose(y, f_scalar(0.4))
    np.testing.assert_allclose(f_jvp(1.0), df_scalar(0.4))
    np.testing.assert_allclose(f_jvp(3.0), 3 * df_scalar(0.4))


def test_jacobians_and_hessian(x64):
    def f(x):
        return jnp.stack([x[0] * x[1], jnp.sin(x[2]), x[0] ** 2])

    x = np.array([1.0, 2.0, 0.5])
    expected = np.array([[2., 1., 0.], [0., 0., np.cos(0.5)], [2., 0., 0.]])
    np.testing.assert_allclose(jax.jacfwd(f)(x), expected)
    np.testing.assert_allclose(jax.jacrev(f)(x), expected)

    def g(x):
        return jnp.sum(x ** 3) + x[0] * x[1]
    h = jax.hessian(g)(x)
    expected_h = np.diag(6 * x)
    expected_h[0, 1] += 1
    expected_h[1, 0] += 1
    np.testing.assert_allclose(h, expected_h)


def test_jacobian_of_pytrees(x64):
    def f(d):
        return {"out": d["a"] * d["b"][0]}
    d = {"a": np.array([1.0, 2.0]), "b": (np.array(3.0),)}
    jf, jr = jax.jacfwd(f)(d), jax.jacrev(f)(d)
    for j in (jf, jr):
        np.testing.assert_allclose(j["out"]["a"], np.diag([3.0, 3.0]))
        np.testing.assert_allclose(j["out"]["b"][0], np.array([1.0, 2.0]))


def test_linear_transpose(x64):
    A = np.array([[1., 2.], [3., 4.], [5., 6.]])
    f = lambda x: jnp.dot(A, x)
    f_t = jax.linear_transpose(f, np.zeros(2))
    (ct,) = f_t(np.array([1., 0., -1.]))
    np.testing.assert_allclose(ct, A.T @ np.array([1., 0., -1.]))


def test_stop_gradient():
    f = lambda x: x * lax.stop_gradient(x)
    assert float(jax.grad(f)(3.)) == 3.0
    assert float(jax.jvp(f, (3.,), (1.,))[1]) == 3.0
    tree = lax.stop_gradient({"a": jnp.ones(2), "i": jnp.arange(2)})
    assert tree["i"].dtype == jnp.int32


def test_non_differentiable_points():
    assert float(jax.grad(jnp.abs)(0.)) == 1.0  # JAX's convention: sign taken as +1 at 0
    assert float(jax.grad(jnp.abs)(-2.)) == -1.0
    assert float(jax.grad(lambda x: jnp.maximum(x, 1.))(1.)) == 0.5
    assert float(jax.grad(lambda x: jnp.minimum(x, 1.))(1.)) == 0.5
    assert float(jax.grad(lambda x: jnp.clip(x, 0., 1.))(0.5)) == 1.0
    assert float(jax.grad(lambda x: jnp.clip(x, 0., 1.))(2.)) == 0.0
    assert float(jax.grad(lambda x: jnp.clip(x, 0., 1.))(1.)) == 0.5  # a tie with the bound
    assert float(jax.grad(lambda x: jnp.max(jnp.array([x, x, 1.])))(1.)) == pytest.approx(2 / 3)
    assert np.isnan(float(jax.grad(lambda x: x / (1 + jnp.sqrt(x)))(0.)))
    assert np.isinf(float(jax.grad(jnp.sqrt)(0.)))
    assert float(jax.grad(lambda x: (x > 0).astype(jnp.float32) * 1.)(0.3)) == 0.0


def test_where_nan_in_unselected_branch():
    # value: the unselected NaN does not leak; gradient: it does (JAX's documented gotcha)
    f = lambda x: jnp.where(x > 0, jnp.sqrt(x), 0.)
    assert float(f(-1.)) == 0.0
    assert np.isnan(float(jax.grad(f)(-1.)))
    g = lambda x: jnp.where(x > 0, x / x, 0.)
    assert np.isnan(float(jax.grad(g)(0.)))
    # the safe double-where trick gives 0
    safe = lambda x: jnp.where(x > 0, jnp.sqrt(jnp.where(x > 0, x, 1.)), 0.)
    assert float(jax.grad(safe)(0.)) == 0.0


def test_integer_inputs_and_float0():
    with pytest.raises(TypeError, match="grad requires real- or complex-valued inputs"):
        jax.grad(lambda x: x * 2.)(3)
    g = jax.grad(lambda x, n: x * n, argnums=(0, 1), allow_int=True)(2., 3)
    assert float(g[0]) == 3.0
    assert g[1].dtype == jax.dtypes.float0 and g[1].shape == ()
    _, pullback = jax.vjp(lambda x, n: x * n, 2., 3)
    ct_x, ct_n = pullback(1.)
    assert float(ct_x) == 3.0 and ct_n.dtype == jax.dtypes.float0
    y, y_dot = jax.jvp(lambda n: n * 2, (3,), (np.zeros((), jax.dtypes.float0),))
    assert int(y) == 6 and y_dot.dtype == jax.dtypes.float0


def test_grad_errors():
    with pytest.raises(TypeError, match="Gradient only defined for scalar-output functions. "
                                        r"Output had shape: \(3,\)"):
        jax.grad(lambda x: x * 2)(jnp.ones(3))
    with pytest.raises(TypeError, match="requires real-valued outputs"):
        jax.grad(lambda x: x.astype(jnp.int32))(1.)
    with pytest.raises(TypeError, match="argnums"):
        jax.grad(lambda x: x, argnums=2)(1.)
    with pytest.raises(TypeError, match="holomorphic=True requires inputs with complex dtype"):
        jax.grad(lambda x: x, holomorphic=True)(1.)
    with pytest.raises(TypeError, match="not a valid purejax type"):
        jax.grad(lambda x: 1.)("a string")


def test_jvp_errors():
    with pytest.raises(TypeError, match="same tree structure"):
        jax.jvp(lambda x: x, ((1., 2.),), ((1.,),))
    with pytest.raises(TypeError, match="dtypes must be equal"):
        jax.jvp(lambda x: x, (np.float32(1.),), (np.float16(1.),))
    with pytest.raises(ValueError, match="different primal and tangent shapes"):
        jax.jvp(lambda x: x, (jnp.ones(3),), (jnp.ones(2),))
    with pytest.raises(TypeError, match="tuples or lists"):
        jax.jvp(lambda x: x, 1., 1.)


def test_vjp_cotangent_errors():
    _, pullback = jax.vjp(lambda x: x * 2, jnp.ones(3))
    with pytest.raises(ValueError, match="Shape of cotangent"):
        pullback(jnp.ones(2))
    with pytest.raises(ValueError, match="Tree structure of cotangent"):
        pullback((jnp.ones(3),))


def test_missing_rule_error_names_primitive_and_transformation():
    from purejax._src.core import Primitive
    from purejax._src.errors import MissingRuleError
    p = Primitive("my_op")
    p.impl = lambda x: x * 2
    p.abstract_eval = lambda x: x
    with pytest.raises(MissingRuleError, match="jvp.*'my_op'|'my_op'.*jvp"):
        jax.grad(lambda x: p.bind(x))(1.)
    with pytest.raises(MissingRuleError, match="vmap.*'my_op'"):
        jax.vmap(lambda x: p.bind(x))(jnp.ones(3))
    # staged first (its signature cached without an impl), then called eagerly
    q = Primitive("my_staged_op")
    q.abstract_eval = lambda x: x
    jax.make_jaxpr(lambda x: q.bind(x))(jnp.ones(3))
    for args in ((jnp.ones(3),), (jnp.ones(3), jnp.ones(3))):
        q.abstract_eval = lambda *xs: xs[0]
        jax.make_jaxpr(lambda *xs: q.bind(*xs))(*args)
        with pytest.raises(MissingRuleError, match="'my_staged_op'"):
            q.bind(*args)


def test_float32_default_and_x64(x64):
    assert jax.grad(lambda x: x * 2)(1.).dtype == np.float64
    with jax._src.config.enable_x64(False):
        assert jax.grad(lambda x: x * 2)(1.).dtype == np.float32
        assert jax.grad(lambda x: x * 2)(np.float64(1.)).dtype == np.float32


def test_complex_holomorphic(x64):
    f = lambda z: z ** 2 + jnp.sin(z)
    z = 1.0 + 2.0j
    g = jax.grad(f, holomorphic=True)(z)
    np.testing.assert_allclose(g, 2 * z + np.cos(z))
    with pytest.raises(TypeError, match="real-valued outputs"):
        jax.grad(f)(z)


def test_jacobians_of_tuple_outputs_and_aux():
    f = lambda x, y: (jnp.sin(x) * y, {"s": jnp.sum(x)})
    x, y = jnp.arange(3.), 2.
    for jac in (jax.jacfwd, jax.jacrev):
        out = jac(f)(x, y)
        np.testing.assert_allclose(out[0], np.diag(np.cos(np.arange(3.)) * 2), rtol=1e-6)
        np.testing.assert_allclose(out[1]["s"], np.ones(3))
        both = jac(f, argnums=(0, 1))(x, y)
        np.testing.assert_allclose(both[0][1], np.sin(np.arange(3.)), rtol=1e-6)
        j, aux = jac(lambda x: (x ** 2, x * 2), has_aux=True)(3.)
        assert float(j) == 6.0 and float(aux) == 6.0 and type(aux).__name__ == "Array"


def test_aux_outputs_are_concrete():
    _, _, aux = jax.vjp(lambda x: (x ** 2, {"a": x}), 3., has_aux=True)
    assert type(aux["a"]).__name__ == "Array"
    _, _, aux = jax.jvp(lambda x: (x ** 2, x), (3.,), (1.,), has_aux=True)
    assert type(aux).__name__ == "Array" and float(aux) == 3.0
    g, aux = jax.grad(lambda x: (x ** 2, x + 1), has_aux=True)(3.)
    assert type(aux).__name__ == "Array" and float(aux) == 4.0
