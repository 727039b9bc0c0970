"""The platform's catalog of approved plugins and themes (zip archives uploaded by platform admins)."""
