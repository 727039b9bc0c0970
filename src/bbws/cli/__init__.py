"""The `bbws` command: one module per command group, what they share in `common`, the root in `main`."""
