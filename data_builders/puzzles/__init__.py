"""Puzzle families (spatial relations, geometric patterns, object interactions); each module registers one."""

from . import arithmetic, attribute, bar_chart, clock, count, geometry, grid_pattern, maze, spatial  # noqa: F401
