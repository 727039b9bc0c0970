"""Who may write each field of each request body: one table, checked by `Authorizer.require_fields`.

Every field of every request body is listed. `ROUTE` means the route's own permission is enough; a permission
string means writing that field also needs it (tier is the platform's commercial term, not the tenant's to set).
A test walks every field for every role against this table, and fails on a body field that is not listed.
"""

from __future__ import annotations

ROUTE = None
COMMERCIAL = "tenants:commercial"  # tier and anything else the platform bills or enforces quotas by

FIELD_PERMISSIONS: dict[str, dict[str, str | None]] = {
    # tenants
    "TenantCreate": {"organizationName": ROUTE, "contactEmail": ROUTE, "tier": COMMERCIAL, "metadata": ROUTE},
    "TenantUpdate": {"organizationName": ROUTE, "contactEmail": ROUTE, "tier": COMMERCIAL, "metadata": ROUTE},
    "ReasonBody": {"reason": ROUTE},
    # hierarchy, users, invitations
    "NodeCreate": {"name": ROUTE, "description": ROUTE},
    "NodeUpdate": {"name": ROUTE, "description": ROUTE},
    "RoleAssign": {"userId": ROUTE, "email": ROUTE, "role": ROUTE, "nodeId": ROUTE},
    "InvitationCreate": {"email": ROUTE, "role": ROUTE, "nodeId": ROUTE, "expiresInDays": ROUTE},
    # webhooks
    "WebhookCreate": {"url": ROUTE, "eventTypes": ROUTE, "description": ROUTE},
    "WebhookUpdate": {"url": ROUTE, "eventTypes": ROUTE, "description": ROUTE, "enabled": ROUTE},
    # instances
    "InstanceCreate": {
        "environment": ROUTE, "desiredCount": ROUTE, "wordpressVersion": ROUTE, "phpVersion": ROUTE, "settings": ROUTE
    },
    "InstanceUpdate": {"wordpressVersion": ROUTE, "phpVersion": ROUTE, "desiredCount": ROUTE, "settings": ROUTE},
    "StatusAction": {"action": ROUTE},
    "SizeBody": {"desiredCount": ROUTE},
    # sites
    "SiteCreate": {
        "siteName": ROUTE, "subdomain": ROUTE, "environment": ROUTE, "templateId": ROUTE, "plugins": ROUTE,
        "teamId": ROUTE, "adminEmail": ROUTE, "tagline": ROUTE,
    },
    "SiteUpdate": {"siteName": ROUTE, "tagline": ROUTE, "adminEmail": ROUTE},
    "SiteStatusBody": {"action": ROUTE},
    "CloneBody": {"subdomain": ROUTE, "siteName": ROUTE, "environment": ROUTE},
    "PromoteBody": {"target": ROUTE},
    "RestoreBody": {"backupId": ROUTE},
    "ApplyTemplateBody": {"templateId": ROUTE},
    # per-site plugins
    "SitePluginInstall": {"pluginId": ROUTE, "slug": ROUTE, "kind": ROUTE, "version": ROUTE, "activate": ROUTE},
    "SitePluginStatus": {"active": ROUTE},
    "SitePluginConfig": {"options": ROUTE},
    "SitePluginUpdate": {"version": ROUTE, "pluginId": ROUTE},
    # platform catalog: templates and plugins (their routes are platform-only already)
    "TemplateCreate": {
        "slug": ROUTE, "name": ROUTE, "description": ROUTE, "category": ROUTE, "tenantId": ROUTE, "siteId": ROUTE
    },
    "TemplateUpdate": {"name": ROUTE, "description": ROUTE, "category": ROUTE},
    "VersionCreate": {"tenantId": ROUTE, "siteId": ROUTE},
    "VersionChoice": {"version": ROUTE},
    "PreviewRequest": {"version": ROUTE, "tenantId": ROUTE},
    "PluginUpdate": {"blocklisted": ROUTE, "vulnerabilities": ROUTE},
    # operations tooling
    "RedriveBody": {"messageIds": ROUTE},
}
