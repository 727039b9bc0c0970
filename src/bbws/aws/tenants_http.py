"""Lambda entry point of the tenant service: tenants, hierarchy, users, invitations, operations and the DLQ,
webhooks, the event stream and the audit trail. It loads no instance, site, template or plugin code."""

from __future__ import annotations

from bbws.aws.service_http import service_handler

handler, app = service_handler("tenants")
