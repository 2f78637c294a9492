"""Public `purejax.lax` (as `jax.lax`): re-exports of the primitives' functions."""
from purejax._src.lax import *  # noqa: F401,F403
