"""Public testing helpers (as jax.test_util)."""
from purejax._src.test_util import (check_abstract_eval, check_grads, check_jvp,  # noqa: F401
                                   check_vjp, check_vmap)
