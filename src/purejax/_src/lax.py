"""Internal aggregate of the lax functions and primitives of every family."""
from purejax._src.prims.bitwise import *  # noqa: F401,F403
from purejax._src.prims.elementwise import *  # noqa: F401,F403
from purejax._src.prims.indexing import *  # noqa: F401,F403
from purejax._src.prims.linalg import *  # noqa: F401,F403
from purejax._src.prims.reductions import *  # noqa: F401,F403
from purejax._src.prims.shape import *  # noqa: F401,F403
from purejax._src.prims.special import *  # noqa: F401,F403
from purejax._src.control_flow import *  # noqa: F401,F403
from purejax._src.prims.sort import *  # noqa: F401,F403
from purejax._src.prims.barrier import *  # noqa: F401,F403
