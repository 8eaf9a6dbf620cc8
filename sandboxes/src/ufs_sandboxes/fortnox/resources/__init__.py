"""The rules of each imitated Fortnox resource, free of HTTP: create, update, actions, views."""
