"""The workbench's version (a leaf: reports and exports name it without importing the
package's facade)."""

__version__ = "0.1.0"
