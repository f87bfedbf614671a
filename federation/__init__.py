"""The ActivityPub protocol: signatures, keys, discovery, addressing, safe fetching."""
