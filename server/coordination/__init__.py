"""The coordinator's workspace: sites, units, course groups and invite codes."""
