"""Public `purejax.custom_batching` (as `jax.custom_batching`)."""
from purejax._src.custom_batching import custom_vmap  # noqa: F401
