"""sdet-check: evaluate a French school digital workspace (ENT) against the SDET."""

__version__ = "0.1.0"
