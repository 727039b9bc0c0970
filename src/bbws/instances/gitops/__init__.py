"""The `gitops` runtime driver: each instance is a Terraform module call committed to a git repository."""

from bbws.instances.gitops.driver import GitOpsDriver

__all__ = ["GitOpsDriver"]
