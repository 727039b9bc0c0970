"""The `gitops` runtime driver: renders each instance's Terraform into a git repository and commits it.

The repository's workflow applies the commit; ECS events then settle the instance (see `ecs_events`), so every
instance action returns `settled=False` with the resource names it predicts. Re-running an action renders the
same bytes, finds nothing to commit and returns the commit that already holds them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bbws.core.clock import Clock, SystemClock
from bbws.core.driver import DriverError, DriverResult, InstanceSpec, RuntimeDriver, RuntimeStatus, Versions
from bbws.instances.gitops.names import DEFAULT_DOMAIN, module_names, predicted_resources, tenant_dir
from bbws.instances.gitops.render import render_instance
from bbws.instances.gitops.repo import GitRepo, git_missing, is_work_tree

if TYPE_CHECKING:
    from bbws.core.settings import Settings

log = logging.getLogger("bbws.instances.gitops")

# What the platform's WordPress image is built for (its tags are `{wordpress}-php{php}`).
WORDPRESS_VERSIONS = ("6.5", "6.6", "6.7", "6.8")
PHP_VERSIONS = ("8.2", "8.3")
DEFAULT_MODULE_SOURCE = "../../../modules/tenant-instance"  # from tenants/{env}/{tenantId}/ to the vendored copy
VENDORED_MODULE = "modules/tenant-instance"


def find_module() -> Path | None:
    """The project's `infra/terraform/modules/tenant-instance`, when this code runs from a source checkout."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "infra" / "terraform" / "modules" / "tenant-instance"
        if (candidate / "main.tf").is_file():
            return candidate
    return None


class GitOpsDriver(RuntimeDriver):
    name = "gitops"
    reports_live_status = False  # ECS events keep `runningCount`; git cannot see tasks

    def __init__(
        self,
        repo: Path,
        *,
        module_source: str = DEFAULT_MODULE_SOURCE,
        push: bool = False,
        region: str = "af-south-1",
        account_id: str = "000000000000",
        domain: str | None = None,
        clock: Clock | None = None,
        module_dir: Path | None = find_module(),  # found once, at import; None: no vendored copy
    ) -> None:
        self.repo = GitRepo(Path(repo))
        self.module_source = module_source
        self.push = push
        self.region = region
        self.account_id = account_id
        self.domain = domain or DEFAULT_DOMAIN
        self.clock = clock or SystemClock()
        self.module_dir = module_dir

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None) -> GitOpsDriver:
        """The driver for `BBWS_GITOPS_REPO`; DriverError naming what is wrong when it cannot work there."""
        path = settings.gitops_repo
        if path is None:
            raise DriverError(
                "BBWS_GITOPS_REPO is not set: the gitops runtime commits Terraform to a git work tree",
                code="RUNTIME_NOT_READY",
            )
        if git_missing():
            raise DriverError("git is not installed: the gitops runtime needs it", code="RUNTIME_NOT_READY")
        if not is_work_tree(path):
            raise DriverError(
                f"BBWS_GITOPS_REPO ({path}) is not a git work tree (run `git init` or clone the GitOps repository)",
                code="RUNTIME_NOT_READY",
            )
        return cls(
            path,
            push=settings.gitops_push,
            region=settings.aws_region,
            account_id=settings.aws_account_id,
            domain=settings.instance_domain,
            clock=clock,
        )

    # -- readiness
    def versions(self) -> Versions:
        return Versions(wordpress=WORDPRESS_VERSIONS, php=PHP_VERSIONS, database="mysql-8")

    def missing(self) -> list[str]:
        if git_missing():
            return ["git"]
        if not is_work_tree(self.repo.path):
            return [f"a git work tree at {self.repo.path} (BBWS_GITOPS_REPO)"]
        return []

    # -- instance actions: one commit each
    def provision(self, spec: InstanceSpec) -> DriverResult:
        return self._commit_instance(spec, "provision", spec.desired_count)

    def update(self, spec: InstanceSpec) -> DriverResult:
        return self._commit_instance(spec, "update", spec.desired_count)

    def scale(self, spec: InstanceSpec) -> DriverResult:
        return self._commit_instance(spec, "scale", spec.desired_count)

    def stop(self, spec: InstanceSpec) -> DriverResult:
        # The service stays with its configuration, files and database; only its tasks go.
        return self._commit_instance(spec, "stop", 0)

    def start(self, spec: InstanceSpec) -> DriverResult:
        return self._commit_instance(spec, "start", spec.desired_count)

    def deprovision(self, spec: InstanceSpec, *, export_dir: Path | None) -> DriverResult:
        """Remove the tenant's folder; the workflow destroys its resources, and the module keeps the data (files,
        databases, logs) for the archive, so there is nothing to export into `export_dir` here."""
        folder = tenant_dir(spec.tenant_id, spec.environment)
        with self.repo.lock():
            self.repo.remove(folder)
            sha = self._commit([folder], _message(spec, "deprovision"))
        return DriverResult(
            resources={"terraformStateKey": f"{folder}/terraform.tfstate", "repoPath": folder},
            settled=True,
            details={"commitSha": sha, "exports": []},
        )

    def status(self, spec: InstanceSpec) -> RuntimeStatus:
        # Git cannot tell what runs: the ECS event handler keeps `runningCount` on the instance record.
        return RuntimeStatus(running_count=0, answering=False, url=self._url(spec))

    # -- internals
    def _commit_instance(self, spec: InstanceSpec, action: str, desired_count: int) -> DriverResult:
        self._check_versions(spec)
        text = render_instance(
            spec,
            desired_count=desired_count,
            module_source=self.module_source,
            region=self.region,
            account_id=self.account_id,
            domain=self.domain,
        )
        folder = tenant_dir(spec.tenant_id, spec.environment)
        paths = [folder]
        with self.repo.lock():
            self.repo.write(f"{folder}/main.tf", text)
            if self.module_dir is not None:
                self.repo.sync_dir(self.module_dir, VENDORED_MODULE)
                paths.append(VENDORED_MODULE)
            sha = self._commit(paths, _message(spec, action))
        resources = predicted_resources(
            spec.tenant_id, spec.environment, region=self.region, account_id=self.account_id, domain=self.domain
        )
        return DriverResult(resources=resources, settled=False, url=self._url(spec), details={"commitSha": sha})

    def _commit(self, paths: list[str], message: str) -> str | None:
        """Commit when something changed, push when configured (again after a failed push), return HEAD: the new
        commit (as replayed onto the upstream, when a push had to), or the one that already held the change."""
        made = self.repo.commit(paths, message, when=self.clock.now())
        if made:
            log.info("gitops commit %s: %s", made[:12], message)
        if self.push:
            self.repo.push()
        return self.repo.head()

    def _check_versions(self, spec: InstanceSpec) -> None:
        minor = ".".join(spec.wordpress_version.split(".")[:2])
        if minor not in WORDPRESS_VERSIONS or spec.php_version not in PHP_VERSIONS:
            raise DriverError(
                f"the WordPress image is built for WordPress {', '.join(WORDPRESS_VERSIONS)} and PHP "
                f"{', '.join(PHP_VERSIONS)}, not WordPress {spec.wordpress_version} with PHP {spec.php_version}",
                code="UNSUPPORTED_VERSION",
            )

    def _url(self, spec: InstanceSpec) -> str:
        return f"https://{module_names(spec.tenant_id, spec.environment, domain=self.domain)['host']}/"


def _message(spec: InstanceSpec, action: str) -> str:
    what = f"{action} instance {spec.instance_id} (tenant {spec.tenant_id}, {spec.environment})"
    return f"{spec.operation_id}: {what}" if spec.operation_id else what
