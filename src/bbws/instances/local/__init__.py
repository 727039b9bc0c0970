"""The `local` runtime: real WordPress on this machine (a private MariaDB, `php -S` process groups, site folders)."""

from bbws.instances.local.driver import LocalDriver

__all__ = ["LocalDriver"]
