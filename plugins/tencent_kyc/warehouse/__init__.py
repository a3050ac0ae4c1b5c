"""The warehouse: schema, personal-data policy, staged rows and the per-dialect loaders."""
