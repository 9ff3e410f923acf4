"""Small envs for tests, shipped to the browser like a researcher's own package."""
