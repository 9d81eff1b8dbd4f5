"""saigapop.plotting."""
