"""The floor under W1 eager: what any eager grad of seed 001's log1pexp must pay
while the custom_jvp rule's Python runs on every call, as in JAX.

    python bench/eager_floor.py

Times, per call (min over repeats; one process):
- autograd's whole W1 (the target is half of it);
- purejax's whole W1;
- the rule alone, called directly on concrete Arrays (its nine jax.numpy calls);
- purejax's eager grad of the identity (the transformation's fixed cost).

The rule alone plus grad of the identity is a lower bound on an eager W1 that
runs the rule: no tracing, linearization or transposition is counted in it.
"""
import os
import sys
import timeit

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))  # when purejax is not installed
sys.path.insert(0, HERE)

from workloads import w1_log1pexp  # noqa: E402


def best(fn, number=2000, repeat=15):
    fn()
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main():
    import purejax as jax
    import purejax.numpy as jnp

    log1pexp, log1pexp_jvp = w1_log1pexp.seed_log1pexp(jax, jnp)
    g = jax.grad(log1pexp)
    identity = jax.grad(lambda x: x)
    x, one = jnp.asarray(3.0), jnp.asarray(1.0)
    rows = [("purejax W1 eager: grad(log1pexp)(3.)", best(lambda: g(3.0))),
            ("  the rule alone on concrete Arrays", best(lambda: log1pexp_jvp((x,), (one,)))),
            ("  grad of the identity", best(lambda: identity(3.0)))]
    floor = rows[1][1] + rows[2][1]
    try:
        import autograd
        ag = autograd.grad(w1_log1pexp.autograd_log1pexp())
        xa = np.float32(3.0)
        rows.insert(0, ("autograd W1", best(lambda: ag(xa))))
    except ImportError:
        rows.insert(0, ("autograd W1", None))
    for name, t in rows:
        print(f"{name:42s} {'not installed' if t is None else f'{t * 1e6:8.2f} us'}")
    print(f"{'floor (rule alone + grad of the identity)':42s} {floor * 1e6:8.2f} us")
    if rows[0][1] is not None:
        print(f"{'target (half of autograd)':42s} {rows[0][1] / 2 * 1e6:8.2f} us")


if __name__ == "__main__":
    main()
