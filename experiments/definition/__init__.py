"""The study definition API: experiments, scenes, questions, games, rooms, rules, and their load-time checks.

Plain Python above `mug`, with no database access: researchers import it through `experiments.study`."""
