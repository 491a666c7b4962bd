// PolylensIngest: runs the engine over a corpus and writes the store.
