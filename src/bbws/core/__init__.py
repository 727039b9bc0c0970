"""Shared kernel: ids, errors, pagination, links, auth, idempotency, clock."""
