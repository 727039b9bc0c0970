"""What the site jobs work with: the ports, the acting user, and a scratch folder per operation."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bbws.core.artifacts import ArtifactStore
from bbws.core.changes import Actor, Changes
from bbws.core.clock import Clock
from bbws.core.container import Container
from bbws.core.driver import InstanceSpec, RuntimeDriver, SiteSpec
from bbws.core.files import private_dir
from bbws.core.settings import Settings
from bbws.core.store import ItemStore


@dataclass
class SiteContext:
    container: Container
    store: ItemStore
    clock: Clock
    actor: Actor
    driver: RuntimeDriver
    artifacts: ArtifactStore
    settings: Settings
    work_dir: Path

    @classmethod
    def of(cls, container: Container, actor: Actor, operation_id: str) -> SiteContext:
        return cls(
            container=container,
            store=container.store,
            clock=container.clock,
            actor=actor,
            driver=container.runtime.get(),
            artifacts=container.artifacts,
            settings=container.settings,
            work_dir=container.settings.data_dir / "work" / operation_id,
        )

    def changes(self) -> Changes:
        return Changes(actor=self.actor, now=self.clock.now())

    def scratch(self, name: str) -> Path:
        private_dir(self.work_dir)
        return self.work_dir / name

    def clean(self) -> None:
        shutil.rmtree(self.work_dir, ignore_errors=True)

    def check_health(self, spec: InstanceSpec, site: dict[str, Any], *, deep: bool = True) -> dict[str, Any]:
        return self.container.site_health(
            driver=self.driver,
            spec=spec,
            key=site["key"],
            url=site["url"],
            declared=site.get("declared"),
            clock=self.clock,
            deep=deep,
        )


def site_spec(site: dict[str, Any], *, admin_password: str | None = None) -> SiteSpec:
    """The driver's view of a site record."""
    return SiteSpec(
        key=site["key"],
        path=site["path"],
        title=site["siteName"],
        admin_email=site.get("adminEmail") or "admin@example.invalid",
        admin_user=site.get("adminUser") or "admin",
        admin_password=admin_password,
        tagline=site.get("tagline") or "",
    )
