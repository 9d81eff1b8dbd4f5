"""saigapop.management."""
