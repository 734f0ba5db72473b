"""HR platforms as they push events: each module authenticates its platform's requests in the platform's own scheme
and turns its payloads into canonical events (issue 14)."""
