"""Public `purejax.ad_checkpoint` (as `jax.ad_checkpoint`)."""
from purejax import checkpoint_policies  # noqa: F401
from purejax._src.checkpoint import checkpoint_name  # noqa: F401
