"""Plugin catalog API bodies: the entry as shown, and the admin's update (blocklist, vulnerabilities)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from bbws.core.schemas import NAME_PATTERN, Link, RequestModel, visible_pattern

VULNERABILITY_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"  # CVE-2024-12345, GHSA-xxxx-xxxx-xxxx, WPVDB ids
VulnerabilityId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=VULNERABILITY_ID)]
Summary = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=visible_pattern(1, text=True))]


class Vulnerability(RequestModel):
    id: VulnerabilityId = Field(examples=["CVE-2024-12345"])
    summary: Summary = Field(examples=["Stored XSS in the settings page"])


class PluginUpdate(RequestModel):
    blocklisted: StrictBool | None = Field(
        default=None, description="A blocklisted entry cannot be installed (PLUG_002)."
    )
    vulnerabilities: list[Vulnerability] | None = Field(
        default=None,
        max_length=100,
        description="Known vulnerabilities of this version; a non-empty list refuses installs (PLUG_003), "
        "an empty list clears them.",
    )


class VulnerabilityPublic(BaseModel):
    id: str
    summary: str


class PluginPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    pluginId: str = Field(examples=["plg_01jd3m8x2v9k4q7r5t6w8y0z1a"])
    kind: Literal["plugin", "theme"]
    slug: str = Field(examples=["bbws-hello"])
    name: str = Field(pattern=NAME_PATTERN, examples=["BBWS Hello"])
    pluginVersion: str = Field(
        description="The plugin's or theme's own version (its `Version:` header).", examples=["1.1.0"]
    )
    checksum: str = Field(description="sha256 of the uploaded zip, checked before every install.")
    size: int = Field(description="Bytes of the zip.")
    files: int
    unpackedBytes: int
    minWordPressVersion: str | None = Field(default=None, description="Its `Requires at least:` header.")
    requiresPhp: str | None = Field(default=None, description="Its `Requires PHP:` header.")
    blocklisted: bool
    vulnerable: bool
    vulnerabilities: list[VulnerabilityPublic]
    uploadedAt: str
    uploadedBy: str
    updatedAt: str
    version: int = Field(description="Version of this catalog record (the ETag), not of the plugin.")
    links: dict[str, Link] = Field(alias="_links")
