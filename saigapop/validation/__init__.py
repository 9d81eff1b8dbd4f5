"""saigapop.validation."""
