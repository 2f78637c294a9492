"""W7: grad of the seed's newton_sqrt at 2.0: a while_loop fixed point with
an implicit-differentiation custom_vjp (seed 001).

Scalar control flow plus a custom rule whose backward pass runs another
fixed point: measures control-flow and custom-rule overhead.  autograd and
PyTorch run the same algorithm with a Python loop and their own
custom-gradient mechanism.
"""

from functools import partial

import numpy as np

ID = "W7"
TITLE = "grad(newton_sqrt)(2.): while_loop fixed point + implicit custom_vjp"
TASKS = ("grad",)
RTOL, ATOL = 1e-5, 1e-7
TOL = 1e-6


def make_inputs(quick):
    return {"a": 2.0}


def _python_fixed_point(f, a, x_guess, absolute):
    """The seed's loop in plain Python, for the libraries without while_loop."""
    x_prev, x = x_guess, f(a, x_guess)
    while absolute(x_prev - x) > TOL:
        x_prev, x = x, f(a, x)
    return x


def numpy_impl(task, inputs):
    a = np.float32(inputs["a"])
    half = np.float32(0.5)

    def thunk():
        update = lambda a, x: half * (x + a / x)
        x_star = _python_fixed_point(update, a, a, abs)
        # Implicit function theorem, as the seed's fixed_point_rev:
        # w = fixed point of u -> x_bar + u * df/dx;  a_bar = w * df/da.
        dfdx = half * (np.float32(1) - a / (x_star * x_star))
        w = _python_fixed_point(lambda _, u: np.float32(1) + u * dfdx, None, np.float32(1), abs)
        return (w * half / x_star,)
    return thunk


def jaxlike_impl(task, inputs, L, jit):
    jax, jnp, lax = L.jax, L.jnp, L.lax

    @partial(jax.custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, a, x_guess):
        def cond_fun(carry):
            x_prev, x = carry
            return jnp.abs(x_prev - x) > TOL

        def body_fun(carry):
            _, x = carry
            return x, f(a, x)

        _, x_star = lax.while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
        return x_star

    def fixed_point_fwd(f, a, x_init):
        x_star = fixed_point(f, a, x_init)
        return x_star, (a, x_star)

    def fixed_point_rev(f, res, x_star_bar):
        a, x_star = res
        _, vjp_a = jax.vjp(lambda a: f(a, x_star), a)
        a_bar, = vjp_a(fixed_point(partial(rev_iter, f),
                                   (a, x_star, x_star_bar),
                                   x_star_bar))
        return a_bar, jnp.zeros_like(x_star)

    def rev_iter(f, packed, u):
        a, x_star, x_star_bar = packed
        _, vjp_x = jax.vjp(lambda x: f(a, x), x_star)
        return x_star_bar + vjp_x(u)[0]

    fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)

    def newton_sqrt(a):
        update = lambda a, x: 0.5 * (x + a / x)
        return fixed_point(update, a, a)

    g = jax.grad(newton_sqrt)
    if jit:
        g = jax.jit(g)
    a = inputs["a"]
    return lambda: (g(a),)


def autograd_impl(task, inputs):
    import autograd
    import autograd.numpy as anp
    from autograd import make_vjp
    from autograd.extend import primitive, defvjp

    update = lambda a, x: 0.5 * (x + a / x)

    @primitive
    def newton_fixed_point(a, x_guess):
        return _python_fixed_point(update, a, x_guess, anp.abs)

    def fixed_point_rev(ans, a, x_guess):
        x_star = ans

        def vjp(x_star_bar):
            vjp_x = make_vjp(lambda x: update(a, x))(x_star)[0]
            w = _python_fixed_point(lambda _, u: x_star_bar + vjp_x(u), None, x_star_bar, anp.abs)
            return make_vjp(lambda a_: update(a_, x_star))(a)[0](w)
        return vjp

    defvjp(newton_fixed_point, fixed_point_rev, None)
    g = autograd.grad(lambda a: newton_fixed_point(a, a))
    a = np.float32(inputs["a"])
    return lambda: (g(a),)


def torch_impl(task, inputs):
    import torch

    update = lambda a, x: 0.5 * (x + a / x)

    class NewtonFixedPoint(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            with torch.no_grad():
                x_star = _python_fixed_point(update, a, a, torch.abs)
            ctx.save_for_backward(a, x_star)
            return x_star

        @staticmethod
        def backward(ctx, x_star_bar):
            a, x_star = ctx.saved_tensors
            with torch.enable_grad():
                x = x_star.detach().requires_grad_()
                fx = update(a.detach(), x)

                def vjp_x(u):
                    return torch.autograd.grad(fx, x, u, retain_graph=True)[0]
                w = _python_fixed_point(lambda _, u: x_star_bar + vjp_x(u), None, x_star_bar, torch.abs)
                a_ = a.detach().requires_grad_()
                return torch.autograd.grad(update(a_, x_star.detach()), a_, w)[0]

    aval = inputs["a"]

    def thunk():
        a = torch.tensor(aval, dtype=torch.float32, requires_grad=True)
        ga, = torch.autograd.grad(NewtonFixedPoint.apply(a), a)
        return (ga,)
    return thunk
