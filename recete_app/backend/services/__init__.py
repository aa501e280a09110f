"""Use cases that span several packages; the layer the front doors call when one package is
not enough (docs/architecture.md, "Layers")."""
