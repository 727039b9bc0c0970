"""Sites: single-site WordPress installs inside a tenant's instance, one record per environment."""
