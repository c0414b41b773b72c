"""Where metrics and alerts come from: Prometheus, or the bundled demo scenario."""
