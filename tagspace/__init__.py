"""tagspace package."""
