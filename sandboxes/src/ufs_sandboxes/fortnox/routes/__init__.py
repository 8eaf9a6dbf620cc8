"""HTTP and WebSocket routes of the sandbox app."""
