"""Public `purejax.checkpoint_policies` (as `jax.checkpoint_policies`)."""
from purejax._src.checkpoint import (checkpoint_dots, dots_saveable,  # noqa: F401
                                     dots_with_no_batch_dims_saveable, everything_saveable,
                                     nothing_saveable, save_anything_except_these_names)
