"""The command line entry point that ties operator and member commands together."""
