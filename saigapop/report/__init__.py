"""saigapop.report."""
