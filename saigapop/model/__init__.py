"""saigapop.model."""
