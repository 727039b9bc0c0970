"""The OpenAPI 3.0.3 files, exported from the code: one self-contained YAML file per API area (split by tag,
see `AREAS`) plus the combined `bbws-api.yaml`."""

from bbws.openapi.export import AREAS, COMBINED, Area, export_specs, exported_files, render, stale_files, write

__all__ = ["AREAS", "COMBINED", "Area", "export_specs", "exported_files", "render", "stale_files", "write"]
