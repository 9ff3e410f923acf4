"""The control room: the admin, the live monitor, the REST API and the exports."""
