"""Built-in probes of sdet-check, one module per family, registered through entry points."""
