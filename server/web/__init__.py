"""The node's web interface for people: pages rendered from templates, in French and English."""
