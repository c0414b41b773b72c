"""Side effects outside the dashboard: Slack posts and Alertmanager silences."""
