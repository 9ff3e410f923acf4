"""Server-side games: envs that cannot run in the browser, stepped on the server at a fixed rate."""
