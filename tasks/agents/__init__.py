"""The support agent: its run context, instructions and tools (model providers in ``models``)."""
