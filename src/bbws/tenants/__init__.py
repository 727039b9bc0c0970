"""Tenants bounded context: tenants, lifecycle, hierarchy, users, invitations, audit."""
