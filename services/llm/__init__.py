"""Model access shared by knowledge, assistant and reports: client, prompts, redaction, audit."""
