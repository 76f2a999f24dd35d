"""The copilot: a chat agent that answers from the data and delegates long work to background
tasks (``tools``), answered by the worker one message at a time per conversation
(``runner``), told when a delegated task ends or needs an approval (``notices``)."""
