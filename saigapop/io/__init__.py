"""saigapop.io."""
