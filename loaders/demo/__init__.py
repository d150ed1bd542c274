"""Demo only: sample-data generators, stand-in servers and the demo runner (extra [demo])."""
