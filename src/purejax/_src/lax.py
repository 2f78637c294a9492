"""Internal aggregate of the lax functions and primitives of every family."""
from purejax._src.prims.elementwise import *  # noqa: F401,F403
from purejax._src.prims.reductions import *  # noqa: F401,F403
from purejax._src.prims.shape import *  # noqa: F401,F403
