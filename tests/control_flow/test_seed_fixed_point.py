"""Seed 001's fixed_point example (implicit differentiation of a while_loop solver),
copied from the seed with `import purejax as jax`: the numbers it prints."""
from functools import partial

import purejax as jax
import purejax.numpy as jnp
from purejax import custom_vjp, grad, jit, vjp, vmap
from purejax.lax import while_loop


def lines(capsys):
    return capsys.readouterr().out.strip().splitlines()


def test_fixed_point_while_loop(capsys):
    def fixed_point(f, a, x_guess):
      def cond_fun(carry):
        x_prev, x = carry
        return jnp.abs(x_prev - x) > 1e-6

      def body_fun(carry):
        _, x = carry
        return x, f(a, x)

      _, x_star = while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
      return x_star

    def newton_sqrt(a):
      update = lambda a, x: 0.5 * (x + a / x)
      return fixed_point(update, a, a)

    print(newton_sqrt(2.))
    print(jit(vmap(newton_sqrt))(jnp.array([1., 2., 3., 4.])))
    assert lines(capsys) == ["1.4142135", "[1.        1.4142135 1.7320509 2.       ]"]


def test_fixed_point_custom_vjp(capsys):
    @partial(custom_vjp, nondiff_argnums=(0,))
    def fixed_point(f, a, x_guess):
      def cond_fun(carry):
        x_prev, x = carry
        return jnp.abs(x_prev - x) > 1e-6

      def body_fun(carry):
        _, x = carry
        return x, f(a, x)

      _, x_star = while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
      return x_star

    def fixed_point_fwd(f, a, x_init):
      x_star = fixed_point(f, a, x_init)
      return x_star, (a, x_star)

    def fixed_point_rev(f, res, x_star_bar):
      a, x_star = res
      _, vjp_a = vjp(lambda a: f(a, x_star), a)
      a_bar, = vjp_a(fixed_point(partial(rev_iter, f),
                                 (a, x_star, x_star_bar),
                                 x_star_bar))
      return a_bar, jnp.zeros_like(x_star)

    def rev_iter(f, packed, u):
      a, x_star, x_star_bar = packed
      _, vjp_x = vjp(lambda x: f(a, x), x_star)
      return x_star_bar + vjp_x(u)[0]

    fixed_point.defvjp(fixed_point_fwd, fixed_point_rev)

    def newton_sqrt(a):
      update = lambda a, x: 0.5 * (x + a / x)
      return fixed_point(update, a, a)

    print(newton_sqrt(2.))
    print(grad(newton_sqrt)(2.))
    print(grad(grad(newton_sqrt))(2.))
    print(grad(jnp.sqrt)(2.))
    print(grad(grad(jnp.sqrt))(2.))
    assert lines(capsys) == ["1.4142135", "0.35355338", "-0.088388346", "0.35355338",
                             "-0.08838835"]


def test_fixed_point_jit_backends_agree(jit_backend, capsys):
    def fixed_point(f, a, x_guess):
        def cond_fun(carry):
            x_prev, x = carry
            return jnp.abs(x_prev - x) > 1e-6

        def body_fun(carry):
            _, x = carry
            return x, f(a, x)

        _, x_star = while_loop(cond_fun, body_fun, (x_guess, f(a, x_guess)))
        return x_star

    def newton_sqrt(a):
        return fixed_point(lambda a, x: 0.5 * (x + a / x), a, a)

    print(jax.jit(jax.vmap(newton_sqrt))(jnp.array([1., 2., 3., 4.])))
    print(jax.jit(newton_sqrt)(2.))
    assert lines(capsys) == ["[1.        1.4142135 1.7320509 2.       ]", "1.4142135"]
