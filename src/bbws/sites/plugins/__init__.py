"""The plugins and themes of one site: install from the catalog, activate, configure, update, remove, drift."""
