"""Pages and flows that span the domains: her home, what we hold about her, withdrawal."""
