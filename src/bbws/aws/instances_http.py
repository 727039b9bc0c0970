"""Lambda entry point of the instance service: the instances of each tenant (no site or catalog code)."""

from __future__ import annotations

from bbws.aws.service_http import service_handler

handler, app = service_handler("instances")
