"""Puzzle families (spatial relations, geometric patterns, object interactions); each module registers one."""

from . import arithmetic, attribute, bar_chart, clock, count, geometry, grid_pattern, maze, spatial  # noqa: F401
from . import balance_beam, calendar_month, cards, dice, gauge, money, ruler, sequence  # noqa: F401,E402  (set B)
from . import spot_difference, visual_analogy  # noqa: F401,E402  (families set B)
from . import connectivity, function_intersection, function_value, graph_path, grid_path, line_chart  # noqa: F401,E402,E501  (families set A)
from . import pie_chart, rotation, shaded_fraction, slope, symmetry, tiling_area, venn  # noqa: F401,E402  (families set A)
