"""Product knowledge: sections, chunks, embeddings and retrieval."""
