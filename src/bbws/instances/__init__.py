"""Instances: the WordPress runtime of one tenant in one environment."""
