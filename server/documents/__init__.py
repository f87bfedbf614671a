"""Rendering of the ActivityPub documents this node serves."""
