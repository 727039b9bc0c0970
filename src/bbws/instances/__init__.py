"""Instances: the WordPress runtime of one tenant in one environment (LLD 2.7)."""

from bbws.instances.views import register_audit_view

# Any code that writes instance audit records (API, worker, ECS events) imports this package first.
register_audit_view()
