"""The Fortnox request budget each tenant has, shared by every process that calls Fortnox."""
