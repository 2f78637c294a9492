"""Structured control flow: cond/switch, while_loop/fori_loop, scan/map,
associative_scan and the implicitly differentiated solvers custom_root and
custom_linear_solve."""
from purejax._src.control_flow.associative import associative_scan
from purejax._src.control_flow.cond import cond, cond_p, switch
from purejax._src.control_flow.loops import fori_loop, while_loop, while_p
from purejax._src.control_flow.scan import map, scan, scan_p
from purejax._src.control_flow.solves import custom_linear_solve, custom_root, linear_solve_p

__all__ = ["associative_scan", "cond", "cond_p", "switch", "fori_loop", "while_loop",
           "while_p", "map", "scan", "scan_p", "custom_linear_solve", "custom_root",
           "linear_solve_p"]
