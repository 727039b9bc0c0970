"""Site templates: versioned site archives made by platform admins (or built in), published for users to build on."""
