"""`agentrt demo`: several agents at once on one shared model, and a fair measure of what that gains."""
