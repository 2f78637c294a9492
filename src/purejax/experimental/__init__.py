"""JAX's `jax.experimental` names that purejax provides (re-exports only)."""
from purejax._src.config import disable_x64 as disable_x64, enable_x64 as enable_x64

__all__ = ["enable_x64", "disable_x64"]
