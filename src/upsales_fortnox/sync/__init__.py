"""The sync rules: pure mapping and decision functions, and the handlers around them."""
