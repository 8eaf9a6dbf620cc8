"""Local stand-ins for the Fortnox and Upsales APIs."""
