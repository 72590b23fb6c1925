"""Identity and access: users, roles, permissions, passwords, tokens, throttling."""
