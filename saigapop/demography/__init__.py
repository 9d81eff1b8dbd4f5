"""saigapop.demography."""
