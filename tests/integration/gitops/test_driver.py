"""The gitops driver on real git repositories: one commit per change, none for a repeat, push to a remote."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import hcl2
import pytest

from bbws.core.clock import ManualClock
from bbws.core.driver import DriverError, NotSupported, SiteSpec
from bbws.core.settings import Settings
from bbws.instances.gitops import GitOpsDriver
from bbws.instances.gitops.driver import PHP_VERSIONS, WORDPRESS_VERSIONS, find_module
from tests.integration.gitops.conftest import git, needs_git, new_spec

pytestmark = needs_git
PLAIN = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


def module_args(work_tree: Path, tenant_id: str, env: str = "dev") -> dict[str, object]:
    text = (work_tree / "tenants" / env / tenant_id / "main.tf").read_text()
    return dict(hcl2.loads(text, serialization_options=PLAIN)["module"][0]["tenant_instance"])


def commits(work_tree: Path) -> list[str]:
    return git(work_tree, "log", "--format=%s").splitlines()


def test_provision_commits_the_tenants_terraform_and_predicts_its_resources(
    driver: GitOpsDriver, work_tree: Path
) -> None:
    spec = new_spec()
    result = driver.provision(spec)

    assert result.settled is False
    sha = result.details["commitSha"]
    assert sha == git(work_tree, "rev-parse", "HEAD")
    assert commits(work_tree) == [
        f"{spec.operation_id}: provision instance {spec.instance_id} (tenant {spec.tenant_id}, dev)"
    ]
    assert git(work_tree, "status", "--porcelain") == ""  # everything written is committed
    args = module_args(work_tree, spec.tenant_id)
    assert (args["tenant_id"], args["desired_count"], args["source"]) == (
        spec.tenant_id,
        2,
        "../../../modules/tenant-instance",
    )
    assert result.resources["ecsServiceArn"] == (
        f"arn:aws:ecs:af-south-1:123456789012:service/bbws-cluster-dev/tenant-{spec.tenant_id}-wordpress"
    )
    assert result.resources["terraformStateKey"] == f"tenants/dev/{spec.tenant_id}/terraform.tfstate"
    assert result.resources["repoPath"] == f"tenants/dev/{spec.tenant_id}"
    assert not any("password" in str(v).lower() for v in result.resources.values())
    assert result.url == f"https://dev.{spec.tenant_id.replace('_', '-')}.sites.bbws.io/"


def test_the_module_is_vendored_so_the_repository_is_self_contained(driver: GitOpsDriver, work_tree: Path) -> None:
    source = find_module()
    assert source is not None
    driver.provision(new_spec())
    vendored = work_tree / "modules" / "tenant-instance"
    for path in source.glob("*.tf"):
        assert (vendored / path.name).read_text() == path.read_text()
    assert git(work_tree, "ls-files", "modules/tenant-instance/main.tf") == "modules/tenant-instance/main.tf"
    # from tenants/{env}/{tenant}/ the module source reaches the vendored copy
    assert (work_tree / "tenants" / "dev" / "x" / "../../../modules/tenant-instance" / "main.tf").resolve().is_file()


def test_a_stale_vendored_module_is_refreshed_in_the_next_commit(driver: GitOpsDriver, work_tree: Path) -> None:
    driver.provision(new_spec())
    stale = work_tree / "modules" / "tenant-instance" / "old.tf"
    stale.write_text("# removed upstream\n")
    git(work_tree, "add", str(stale))
    git(work_tree, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "by hand")
    driver.provision(new_spec())
    assert not stale.exists()
    assert git(work_tree, "ls-files", "modules/tenant-instance/old.tf") == ""


def test_without_a_module_to_vendor_only_the_tenant_folder_is_written(work_tree: Path, clock: ManualClock) -> None:
    driver = GitOpsDriver(
        work_tree, module_source="git::ssh://git@example.org/modules.git", module_dir=None, clock=clock
    )
    spec = new_spec()
    driver.provision(spec)
    assert not (work_tree / "modules").exists()
    assert module_args(work_tree, spec.tenant_id)["source"] == "git::ssh://git@example.org/modules.git"


def test_repeating_an_action_commits_nothing_and_returns_the_same_commit(driver: GitOpsDriver, work_tree: Path) -> None:
    spec = new_spec()
    first = driver.provision(spec).details["commitSha"]
    again = driver.provision(spec).details["commitSha"]
    updated = driver.update(spec).details["commitSha"]  # same values: same file
    assert first == again == updated
    assert len(commits(work_tree)) == 1


def test_an_action_whose_commit_failed_is_finished_by_the_retry(driver: GitOpsDriver, work_tree: Path) -> None:
    spec = new_spec()
    driver.provision(spec)
    hook = work_tree / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'refused by policy' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(DriverError, match="git commit failed: refused by policy"):
        driver.stop(spec)  # written to the work tree, not committed
    assert module_args(work_tree, spec.tenant_id)["desired_count"] == 0
    assert len(commits(work_tree)) == 1

    hook.unlink()
    sha = driver.stop(spec).details["commitSha"]
    assert sha == git(work_tree, "rev-parse", "HEAD")
    assert commits(work_tree)[0].startswith(f"{spec.operation_id}: stop instance")
    assert git(work_tree, "status", "--porcelain") == ""


def test_stop_renders_no_tasks_and_start_the_stored_count(driver: GitOpsDriver, work_tree: Path) -> None:
    spec = new_spec(desired_count=3)
    driver.provision(spec)
    driver.stop(spec)
    assert module_args(work_tree, spec.tenant_id)["desired_count"] == 0
    result = driver.start(spec)
    assert module_args(work_tree, spec.tenant_id)["desired_count"] == 3
    assert result.settled is False
    assert [m.split(": ")[1].split(" ")[0] for m in commits(work_tree)] == ["start", "stop", "provision"]


def test_scale_and_update_change_the_call(driver: GitOpsDriver, work_tree: Path) -> None:
    spec = new_spec()
    driver.provision(spec)
    driver.scale(new_spec(tenant_id=spec.tenant_id, desired_count=4))
    driver.update(new_spec(tenant_id=spec.tenant_id, desired_count=4, php_version="8.2", settings={"debug": True}))
    args = module_args(work_tree, spec.tenant_id)
    assert (args["desired_count"], args["php_version"], args["settings"]) == (4, "8.2", {"debug": True})
    assert len(commits(work_tree)) == 3


def test_tenants_and_environments_get_their_own_folders(driver: GitOpsDriver, work_tree: Path) -> None:
    spec = new_spec()
    driver.provision(spec)
    driver.provision(new_spec(tenant_id=spec.tenant_id, environment="prod"))
    assert (work_tree / "tenants" / "dev" / spec.tenant_id / "main.tf").is_file()
    assert module_args(work_tree, spec.tenant_id, "prod")["environment"] == "prod"


def test_deprovision_removes_the_folder_in_one_commit_and_is_idempotent(
    driver: GitOpsDriver, work_tree: Path, tmp_path: Path
) -> None:
    spec, other = new_spec(), new_spec()
    driver.provision(spec)
    driver.provision(other)
    result = driver.deprovision(spec, export_dir=tmp_path / "exports")
    assert result.settled is True
    assert result.details["commitSha"] == git(work_tree, "rev-parse", "HEAD")
    assert not (work_tree / "tenants" / "dev" / spec.tenant_id).exists()
    assert git(work_tree, "ls-files", f"tenants/dev/{spec.tenant_id}") == ""
    assert (work_tree / "tenants" / "dev" / other.tenant_id / "main.tf").is_file()
    assert (
        commits(work_tree)[0]
        == f"{spec.operation_id}: deprovision instance {spec.instance_id} (tenant {spec.tenant_id}, dev)"
    )
    again = driver.deprovision(spec, export_dir=None)
    assert again.details["commitSha"] == result.details["commitSha"]
    assert len(commits(work_tree)) == 3


def test_deprovisioning_what_was_never_committed_commits_nothing(driver: GitOpsDriver) -> None:
    result = driver.deprovision(new_spec(), export_dir=None)
    assert result.settled is True and result.details["commitSha"] is None


def test_only_the_drivers_paths_are_committed(driver: GitOpsDriver, work_tree: Path) -> None:
    (work_tree / "notes.txt").write_text("someone's work in progress\n")
    git(work_tree, "add", "notes.txt")
    driver.provision(new_spec())
    assert git(work_tree, "status", "--porcelain") == "A  notes.txt"  # still staged, not in the driver's commit


def test_commits_carry_the_clocks_time(driver: GitOpsDriver, work_tree: Path, clock: ManualClock) -> None:
    driver.provision(new_spec())
    assert git(work_tree, "log", "-1", "--format=%cI") == "2026-01-01T00:00:00+00:00"


def test_concurrent_actions_on_one_repository_all_land(driver: GitOpsDriver, work_tree: Path) -> None:
    specs = [new_spec() for _ in range(6)]
    errors: list[BaseException] = []

    def provision(spec: object) -> None:
        try:
            driver.provision(spec)  # type: ignore[arg-type]
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=provision, args=(s,)) for s in specs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(commits(work_tree)) == 6
    assert git(work_tree, "status", "--porcelain") == ""


def test_push_sends_each_commit_to_the_upstream(remote_clone: tuple[Path, Path], clock: ManualClock) -> None:
    origin, clone = remote_clone
    driver = GitOpsDriver(clone, push=True, clock=clock)
    sha = driver.provision(new_spec()).details["commitSha"]
    assert git(origin, "rev-parse", "main") == sha


def test_push_replays_on_top_of_what_another_writer_pushed(
    remote_clone: tuple[Path, Path], tmp_path: Path, clock: ManualClock
) -> None:
    origin, clone = remote_clone
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(origin), str(other))
    GitOpsDriver(other, push=True, clock=clock).provision(new_spec())  # another control plane got there first

    spec = new_spec()
    sha = GitOpsDriver(clone, push=True, clock=clock).provision(spec).details["commitSha"]
    assert sha == git(origin, "rev-parse", "main") == git(clone, "rev-parse", "HEAD")
    assert git(origin, "log", "-1", "--format=%s", "main").endswith(f"(tenant {spec.tenant_id}, dev)")
    assert git(origin, "rev-parse", "main~1") == git(other, "rev-parse", "HEAD")


def test_every_git_call_works_without_any_git_identity(
    remote_clone: tuple[Path, Path], tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clean machine: no global or system git config, and git may not guess a name from the host either."""
    origin, clone = remote_clone
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(origin), str(other))
    home = tmp_path / "empty-home"
    home.mkdir()
    only_config = tmp_path / "no-identity.gitconfig"
    only_config.write_text("[user]\n\tuseConfigOnly = true\n")  # refuse user@hostname guesses
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(only_config))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    assert subprocess.run(["git", "var", "GIT_COMMITTER_IDENT"], cwd=clone, capture_output=True).returncode != 0

    GitOpsDriver(other, push=True, clock=clock).provision(new_spec())  # another writer pushes first
    spec = new_spec()
    mine = GitOpsDriver(clone, push=True, clock=clock)
    sha = mine.provision(spec).details["commitSha"]  # commit, failed push, pull --rebase, push
    mine.deprovision(spec, export_dir=None)

    assert git(origin, "rev-parse", "main~1") == sha
    assert git(origin, "log", "-1", "--format=%an <%ae> / %cn <%ce>", "main") == (
        "BBWS control plane <gitops@bbws.io> / BBWS control plane <gitops@bbws.io>"
    )


def test_a_configured_identity_is_kept_for_the_drivers_commits(driver: GitOpsDriver, work_tree: Path) -> None:
    git(work_tree, "config", "user.name", "Ops Team")
    git(work_tree, "config", "user.email", "ops@example.org")
    driver.provision(new_spec())
    assert git(work_tree, "log", "-1", "--format=%an <%ae> / %cn <%ce>") == (
        "Ops Team <ops@example.org> / Ops Team <ops@example.org>"
    )


def test_a_push_without_an_upstream_fails_with_a_reason(driver: GitOpsDriver, work_tree: Path) -> None:
    pushing = GitOpsDriver(work_tree, push=True, clock=driver.clock)
    with pytest.raises(DriverError) as caught:
        pushing.provision(new_spec())
    assert caught.value.retryable and caught.value.reason.startswith("git pull failed")
    assert len(commits(work_tree)) == 1  # the commit is kept; the retry pushes it


def test_unsupported_versions_are_refused_before_anything_is_written(driver: GitOpsDriver, work_tree: Path) -> None:
    with pytest.raises(DriverError) as caught:
        driver.provision(new_spec(php_version="7.4"))
    assert caught.value.code == "UNSUPPORTED_VERSION"
    assert not (work_tree / "tenants").exists()


def test_versions_status_and_site_operations(driver: GitOpsDriver) -> None:
    versions = driver.versions()
    assert (versions.wordpress, versions.php) == (WORDPRESS_VERSIONS, PHP_VERSIONS)
    assert versions.default_wordpress == "6.8" and versions.default_php == "8.3"
    spec = new_spec()
    status = driver.status(spec)
    assert (status.running_count, status.answering) == (0, False)
    assert driver.reports_live_status is False
    with pytest.raises(NotSupported):
        driver.install_site(spec, SiteSpec(key="s1", path="blog", title="Blog", admin_email="a@example.org"))


def test_from_settings(work_tree: Path, tmp_path: Path) -> None:
    driver = GitOpsDriver.from_settings(
        Settings(
            data_dir=tmp_path / "data",
            runtime="gitops",
            gitops_repo=work_tree,
            gitops_push=True,
            aws_region="eu-west-1",
            aws_account_id="210987654321",
            instance_domain="wp.example.org",
        )
    )
    assert (driver.repo.path, driver.push, driver.region, driver.account_id) == (
        work_tree,
        True,
        "eu-west-1",
        "210987654321",
    )
    assert driver.domain == "wp.example.org"
    assert driver.missing() == []


def test_from_settings_refuses_a_missing_or_plain_folder(tmp_path: Path) -> None:
    with pytest.raises(DriverError, match="BBWS_GITOPS_REPO is not set"):
        GitOpsDriver.from_settings(Settings(data_dir=tmp_path / "data", runtime="gitops"))
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(DriverError, match="not a git work tree"):
        GitOpsDriver.from_settings(Settings(data_dir=tmp_path / "data", runtime="gitops", gitops_repo=plain))
    assert GitOpsDriver(plain).missing() == [f"a git work tree at {plain} (BBWS_GITOPS_REPO)"]


def test_missing_names_git_when_it_is_not_installed(
    driver: GitOpsDriver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert driver.missing() == ["git"]


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_the_whole_repository_is_terraform_fmt_clean(driver: GitOpsDriver, work_tree: Path) -> None:
    driver.provision(new_spec())
    driver.stop(new_spec(environment="prod"))
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull}
    done = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive"], cwd=work_tree, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
