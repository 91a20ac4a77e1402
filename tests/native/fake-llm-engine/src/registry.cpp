// registry: filled in with the engine
