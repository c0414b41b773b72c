"""The Istio service mesh: incidents in latency and 5xx series."""
