"""The runbook knowledge index: ingestion, chunks, embeddings, hybrid search."""
