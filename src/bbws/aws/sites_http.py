"""Lambda entry point of the site service: sites and their operations, plugins and templating, the template and
plugin catalogs."""

from __future__ import annotations

from bbws.aws.service_http import service_handler

handler, app = service_handler("sites")
