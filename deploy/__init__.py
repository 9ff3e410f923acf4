"""Running MUG as a deployment: the nginx site, the systemd units, and a local runner for development and tests."""
