"""What the node does with activities: thin routes and workers call these functions."""
