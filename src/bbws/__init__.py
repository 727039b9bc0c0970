"""BBWS: control plane for multi-tenant WordPress hosting."""
