"""Notebook widgets over the workbench core (the canvas, inspector and panels arrive with
the widget issue). Nothing in :mod:`workbench` imports this package."""
