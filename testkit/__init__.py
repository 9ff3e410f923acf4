"""What tests and benchmarks are built from: servers started on loopback, scripted participants and clients, the
fixture studies and their envs. Imports neither tests nor bench."""
